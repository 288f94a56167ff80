from baiye.api import API_PREFIX
from baiye.application import site_apps
from baiye.openapi import concrete_rules, openapi_path


def test_openapi_document_lists_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops if method != "parameters"}
    for rule in (rule for each in site_apps(app) for rule in each.url_map.iter_rules()):
        if rule.rule.startswith(API_PREFIX) and not rule.endpoint.startswith("openapi."):
            for path in map(openapi_path, concrete_rules(rule.rule)):
                for method in rule.methods - {"HEAD", "OPTIONS"}:
                    assert (path, method) in documented, (path, method)


def test_openapi_uses_the_marshmallow_schemas(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    offer_input = spec["components"]["schemas"]["OfferInput"]
    assert set(offer_input["required"]) >= {"title", "kind"}  # starts_on left out: today (API.md)
    assert offer_input["properties"]["kind"]["enum"] == ["percent_off", "amount_off", "gift", "priority"]
    create = spec["paths"]["/api/v1/shops/{shop_id}/offers"]["post"]
    assert create["security"] == [{"bearer": []}] and "201" in create["responses"]


def test_api_docs_page(client):
    page = client.get("/api/docs").get_data(as_text=True)
    assert "/api/v1/shops/{shop_id}/approve" in page
    # The signed codes' format is linked from the API page (issue 16), with the keys it is checked against.
    assert 'href="/docs/tokens.md"' in page and 'href="/.well-known/jwks.json"' in page
    document = client.get("/docs/tokens.md")
    assert document.status_code == 200 and document.mimetype == "text/markdown"
    assert "Ed25519PublicKey.from_public_bytes" in document.get_data(as_text=True)
