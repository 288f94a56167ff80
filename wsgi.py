from baiye import create_app

app = create_app()
