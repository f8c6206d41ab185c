"""machtigen: delegation and authorization for the government mailbox."""
