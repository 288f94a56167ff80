"""Real codes checked with nothing but the published JWK set and the recipe in docs/tokens.md.

This module imports nothing from the project: the codes come over HTTP (the test client), the keys from
/.well-known/jwks.json, and the checking code is the Python block of docs/tokens.md, run as written.
"""
import base64
import re
import time
from datetime import date, timedelta
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "tokens.md"


def documented_check():
    """The `check(url, jwks, now)` function of docs/tokens.md (its first Python block, minus the fetch)."""
    block = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    block = "\n".join(line for line in block.splitlines() if "urlopen(" not in line)
    namespace = {}
    exec(compile(block, str(DOC), "exec"), namespace)  # noqa: S102 — our own documentation, tested
    return namespace["check"]


def resident_id(body17):
    """An 18-character resident ID with its GB 11643 check character."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, weights)) % 11]


def real_codes(api, make, expires_on):
    coordinator = api.as_(make.coordinator())
    enrolled = coordinator.post("/members", json={
        "name": "王小兵", "category": "martyr_family", "id_number": resident_id("11010119800101003"), "phone": "13900139000",
        "expires_on": expires_on.isoformat()}).get_json()
    card_url = coordinator.get(f"/credentials/{enrolled['credential']['id']}/card").get_json()["qr_url"]
    member = api.__class__(api.client, api.post("/auth/activate", json={
        "activation_url": enrolled["activation_url"]}).get_json()["token"])
    phone = member.get("/me/code").get_json()
    return card_url, phone


def test_published_keys_and_the_documented_recipe_verify_real_codes(api, make, client):
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200 and "max-age" in response.headers["Cache-Control"]
    jwks = response.get_json()
    assert jwks["keys"] and all(set(k) >= {"kty", "crv", "kid", "x", "use"} for k in jwks["keys"])
    assert all(k["kty"] == "OKP" and k["crv"] == "Ed25519" and k["use"] == "sig" for k in jwks["keys"])
    assert not any("d" in k for k in jwks["keys"])  # public keys only: a private key (RFC 8037 "d") never leaves
    check = documented_check()

    expires_on = date.today() + timedelta(days=3 * 365)  # by the test's clock (which CI moves)
    card_url, phone = real_codes(api, make, expires_on)
    card = check(card_url, jwks)
    assert card["form"] == "card" and card["category"] == 4 and card["expires_on"] == expires_on
    code = check(phone["qr_url"], jwks)
    assert code["form"] == "phone" and code["public_id"] == card["public_id"] and "step" in code

    # Nothing personal in a code: not the name, phone or card number.
    for url in (card_url, phone["qr_url"]):
        raw = base64.urlsafe_b64decode(url.rsplit(".", 1)[1] + "==")
        assert "王小兵".encode() not in raw and b"13900139000" not in raw

    # A phone code is refused once its window (90 s) has passed; a card code is not.
    assert check(phone["qr_url"], jwks, now=time.time() + 120) is None
    assert check(card_url, jwks, now=time.time() + 120) is not None

    # One changed character, or another key, and the signature fails.
    kid, body = card_url.rsplit("/v/", 1)[1].split(".", 1)
    middle = len(body) // 2
    altered = card_url[:-len(body)] + body[:middle] + ("A" if body[middle] != "A" else "B") + body[middle + 1:]
    assert check(altered, jwks) is None
    other = {"keys": [dict(k, x=base64.urlsafe_b64encode(bytes(32)).rstrip(b"=").decode()) for k in jwks["keys"]]}
    assert check(card_url, other) is None
