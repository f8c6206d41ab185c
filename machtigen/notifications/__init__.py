"""E-mail notifications (recipients, outbox, sender), reminders, prompts, paper letters and the
afnemers' "not reached" events; the jobs that run them on a schedule are ``machtigen.jobs``."""
