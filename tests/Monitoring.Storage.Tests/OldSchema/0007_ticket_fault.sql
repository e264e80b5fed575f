-- Ticket clocks (issue 19): a ticket opened by an alarm keeps when the fault began (the alarm's raise, unix ms) apart
-- from point A (a_at, when the ticket opened). Null for hotline tickets and for tickets stored before this column
-- existed (their document has no faultBeganAt either, and loads as before).
ALTER TABLE tickets ADD COLUMN fault_at INTEGER;
