{{ placement_rates('sender_email') }}
