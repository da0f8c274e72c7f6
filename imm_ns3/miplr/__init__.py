"""MIP-LR ([0054]-[0070]): home location registers and the MIP daemons of correspondent and
mobile hosts, as sans-I/O cores (messages, hlr, daemons, mangler decisions)."""
