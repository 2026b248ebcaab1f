"""Benchmark: the public organization directory with many organizations.

Prints, per URL, the median and 95th-percentile response time and the number of SQL
statements, on a fresh database (SQLite by default; pass a PostgreSQL URL with
`BENCH_DATABASE_URL`). Target: p95 below 200 ms with 5,000 organizations, and a query
count that does not grow with the page's rows.

    .venv/bin/python bench/directory.py [N_ORGS]
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import event, select  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from config import DevelopmentConfig  # noqa: E402


def main(n_orgs: int = 5000, repeats: int = 40) -> None:
    from flask_migrate import upgrade

    from app.demo import load
    from app.orgs.models import Category, LegalStatus, Organization, OrganizationServiceTarget, ServiceTarget
    from app.regions.models import Region, RegionLevel

    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    app = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        load()
        communities = db.session.execute(select(Region).where(Region.level == RegionLevel.COMMUNITY)).scalars().all()
        categories, targets, statuses = list(Category), list(ServiceTarget), [LegalStatus.FILED, LegalStatus.COMMUNITY_LED]
        t0 = time.perf_counter()
        for i in range(n_orgs):
            org = Organization(name=f"基准测试社区服务队{i:05d}", legal_status=statuses[i % 2],
                               category=categories[i % len(categories)],
                               home_community_id=communities[i % len(communities)].id,
                               founded_on=date(2015 + i % 10, 1 + i % 12, 1))
            db.session.add(org)
            if i % 500 == 499:
                db.session.flush()
        db.session.flush()
        bench_ids = select(Organization.id).where(Organization.name.startswith("基准测试"))
        for org in db.session.execute(bench_ids).scalars():
            db.session.add(OrganizationServiceTarget(organization_id=org, target=targets[org % len(targets)]))
        db.session.commit()
        print(f"loaded {n_orgs} extra organizations in {time.perf_counter() - t0:.1f}s on {db.engine.dialect.name}")
        prefecture = db.session.execute(select(Region).where(Region.code == "530100")).scalar_one()

    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    client = app.test_client()
    urls = ["/orgs/", "/orgs/?page=100", "/orgs/?q=翠湖", f"/orgs/?region={prefecture.id}&category=charity",
            "/orgs/?target=elderly&legal_status=filed&page=5", "/"]
    print(f"{'url':55} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for path in urls:
        times = []
        for _ in range(repeats):
            statements.clear()
            start = time.perf_counter()
            resp = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            assert resp.status_code == 200, (path, resp.status_code)
        p95 = statistics.quantiles(times, n=20)[18]
        print(f"{path:55} {statistics.median(times):8.1f} {p95:8.1f} {len(statements):8d}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
