"""E-mail notifications (outbox and sender), reminders, prompts, paper letters and the jobs."""
