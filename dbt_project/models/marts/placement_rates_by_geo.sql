{{ placement_rates('geo') }}
