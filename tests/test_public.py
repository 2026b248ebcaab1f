from tests.factories import make_funder, make_org, make_region


def test_home_shows_counts_and_recent_organizations(client, db):
    community = make_region()
    make_funder()
    orgs = [make_org(community=community, name=f"首页展示服务队{i}") for i in range(3)]
    html = client.get("/").get_data(as_text=True)
    for org in orgs:
        assert org.name in html
    assert community.full_name in html


def test_home_query_count_does_not_grow_with_rows(client, db, count_queries):
    def queries_for_home():
        with count_queries() as n:
            assert client.get("/").status_code == 200
        return n()

    make_org(community=make_region())
    one = queries_for_home()
    for _ in range(5):
        make_org(community=make_region())
    assert queries_for_home() == one
