-- hewer.event_ack(msg_ids[]) -> integer
--
-- Removes routed messages from the pgmq queue hewer_events (the events stay
-- in hewer.events). Called by the router after event_route_apply has
-- committed; a message not acked reappears after its visibility timeout and
-- is routed again, where hewer.event_matches stops any second run.
--
-- Locks: the queue rows. NOTIFY: none. Errors: HW007 NULL array.
CREATE OR REPLACE FUNCTION hewer.event_ack(p_msg_ids bigint[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    IF p_msg_ids IS NULL THEN
        RAISE EXCEPTION 'event_ack: msg_ids is NULL' USING ERRCODE = 'HW007';
    END IF;
    RETURN (SELECT count(*) FROM pgmq.delete('hewer_events', p_msg_ids));
END
$$;
