"""A representative's caseload: every client with unread post, deadlines and end dates."""
