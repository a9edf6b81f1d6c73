select lsoa_code, lsoa_name, lad_code, lad_name, country, imd_decile
from {{ source('reference', 'lsoa') }}
