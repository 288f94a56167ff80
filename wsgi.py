from baiye.factory import create_app

app = create_app()
