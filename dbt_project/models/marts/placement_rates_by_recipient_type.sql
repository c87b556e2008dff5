{{ placement_rates('recipient_type') }}
