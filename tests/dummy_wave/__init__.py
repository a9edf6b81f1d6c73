"""A wave declared outside the project, as a team would add its own (`BOLD_CATALOG_EXTENSIONS`).

Two sources and a declaration of wave 5 (a wave the project does not declare: an extension adds
it after the project's last), nothing else: `dummy_people` (a person source, deduplicated on
its own `dummy_person_id` and linked into the spine) and `dummy_pop` (a population linked to
the people of `dummy_people`; never given spine ids). Their generator is
`tests.dummy_wave.generator`, their dbt staging models `stg_<source>.sql` beside it.
`tests/test_wave_design.py` materialises the wave from these and nothing else.
"""

from __future__ import annotations

from bold_assets.catalog import Identifiers, LinkPlan, QualityProfile, Source, Wave

GENERATOR = "tests.dummy_wave.generator"
_COMPLETE = {"forename": 0.9, "surname": 0.9, "dob": 0.9, "sex": 0.9, "postcode": 0.7}


def _source(name: str, key: str, person_key: str, title: str, role: str) -> Source:
    return Source(
        name=name, title=title, system="test", key=key, case_ids=(person_key,),
        columns={key: "VARCHAR", person_key: "VARCHAR", "forename": "VARCHAR",
                 "surname": "VARCHAR", "birth_date": "VARCHAR", "sex": "VARCHAR",
                 "postcode": "VARCHAR", "event_date": "DATE"},
        identifiers=Identifiers(forename="forename", surname="surname", dob="birth_date",
                                sex="sex", postcode="postcode"),
        event_date="event_date", coverage=(2015, 2023), codes={"sex": ("M", "F")},
        descriptions={key: "Record id", person_key: "The system's own person id",
                      "forename": "Forename", "surname": "Surname",
                      "birth_date": "Date of birth", "sex": "Sex", "postcode": "Postcode",
                      "event_date": "Date of the event"},
        wave=5, link_role=role, generator=GENERATOR, record_id_shape=(key[:2].upper(), 1),
        quality=QualityProfile(completeness=_COMPLETE),
    )


DECLARED: tuple[Source, ...] = (
    _source("dummy_people", "person_row_id", "dummy_person_id", "Dummy people", "person"),
    _source("dummy_pop", "pop_row_id", "pop_person_id", "Dummy population", "population"),
)
WAVES: tuple[Wave, ...] = (
    Wave(5, "Dummy wave declared outside the project", (), (
        LinkPlan("dedupe_dummy", ("dummy_people",), "dedupe_link"),
        LinkPlan("link_dummy_spine", ("dummy_people",), "into_spine"),
        LinkPlan("link_pop_dummy", ("dummy_pop", "dummy_people"), "link", table="dummy_links"),
    ), "0 3 * * 6"),
)
