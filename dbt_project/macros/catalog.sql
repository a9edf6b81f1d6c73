{#- Generated from the catalogue (bold_assets/catalog) by `python -m bold_assets.catalog.dbt`: do not edit. -#}

{#- Every declared source in catalogue order, with its wave and link role. int_records
    stacks the person records of those whose link_role is not attribute (persons_only:
    keep rows where is_person); an attribute table reaches its person through its parent
    source's record with the same <parent_key>_hash. -#}
{% macro catalog_record_sources() %}
{{ return([
    {'name': 'mags', 'wave': 0, 'link_role': 'criminal', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'crown', 'wave': 0, 'link_role': 'criminal', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'prison', 'wave': 0, 'link_role': 'criminal', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'probation', 'wave': 0, 'link_role': 'criminal', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'oasys', 'wave': 0, 'link_role': 'criminal', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'family', 'wave': 0, 'link_role': 'weak', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'civil', 'wave': 0, 'link_role': 'weak', 'persons_only': true, 'parent': none, 'parent_key': none},
    {'name': 'pnc_people', 'wave': 1, 'link_role': 'person', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'pnc_offences', 'wave': 1, 'link_role': 'attribute', 'persons_only': false, 'parent': 'pnc_people', 'parent_key': 'pnc_id'},
    {'name': 'npd_census', 'wave': 1, 'link_role': 'population', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'npd_ks2', 'wave': 1, 'link_role': 'attribute', 'persons_only': false, 'parent': 'npd_census', 'parent_key': 'upn'},
    {'name': 'npd_ks4', 'wave': 1, 'link_role': 'attribute', 'persons_only': false, 'parent': 'npd_census', 'parent_key': 'upn'},
    {'name': 'npd_exclusions', 'wave': 1, 'link_role': 'attribute', 'persons_only': false, 'parent': 'npd_census', 'parent_key': 'upn'},
    {'name': 'npd_absence', 'wave': 1, 'link_role': 'attribute', 'persons_only': false, 'parent': 'npd_census', 'parent_key': 'upn'},
    {'name': 'npd_cin', 'wave': 1, 'link_role': 'attribute', 'persons_only': false, 'parent': 'npd_census', 'parent_key': 'upn'},
    {'name': 'npd_cla', 'wave': 1, 'link_role': 'attribute', 'persons_only': false, 'parent': 'npd_census', 'parent_key': 'upn'},
    {'name': 'dwp_cis', 'wave': 2, 'link_role': 'population', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'dwp_benefit_spells', 'wave': 2, 'link_role': 'attribute', 'persons_only': false, 'parent': 'dwp_cis', 'parent_key': 'nino'},
    {'name': 'hmrc_employments', 'wave': 2, 'link_role': 'attribute', 'persons_only': false, 'parent': 'dwp_cis', 'parent_key': 'nino'}
]) }}
{% endmacro %}

{#- Every active wave (one with sources): its link table (research.<link>:
    source_dataset, row_id_hash and a spine id column per threshold it holds) and the
    linkage thresholds of its person mart. A wave's mart reads the records of every
    wave up to it at its thresholds, so each threshold a wave lists must be in the link
    tables of the waves before it. -#}
{% macro catalog_wave_links() %}
{{ return([
    {'wave': 0, 'link': 'xjs_link', 'thresholds': ['high', 'medium', 'low']},
    {'wave': 1, 'link': 'wave_1_link', 'thresholds': ['medium']},
    {'wave': 2, 'link': 'wave_2_link', 'thresholds': ['medium']}
]) }}
{% endmacro %}
