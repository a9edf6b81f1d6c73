-- The register holds each (id, wave) exactly once and 14 factors x 5 waves in all.
select id, wave, count(*) as n
from {{ ref('risk_factor_register') }}
group by id, wave
having count(*) <> 1
union all
select 'all rows' as id, null as wave, count(*) as n
from {{ ref('risk_factor_register') }}
having count(*) <> 70
