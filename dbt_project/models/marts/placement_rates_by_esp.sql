{{ placement_rates('esp') }}
