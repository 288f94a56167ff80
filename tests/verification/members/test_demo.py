"""`flask demo` enrols members with credentials and prints a usable activation link."""
from baiye.extensions import db
from verification.members.models import ActivationLink, Credential, Member


def test_demo_enrols_members_and_prints_a_member_link(app, tmp_path):
    app.instance_path = str(tmp_path)
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert db.session.query(Member).count() == 300
    categories = {c for (c,) in db.session.query(Member.category).distinct()}
    assert categories == {"active_duty", "family", "veteran", "martyr_family"}
    active = db.session.query(Credential).filter_by(status="active").count()
    assert 290 <= active < 300  # a few revoked for the demo
    line = next(l for l in result.output.splitlines() if "activation link:" in l)
    assert line.strip().startswith("member") and "/activate/" in line
    token = line.rsplit("/activate/", 1)[1].strip()
    with app.test_request_context():
        from verification.members.services import find_activation

        assert find_activation(token).member.name == "王建国"
    assert db.session.query(ActivationLink).count() == 1
