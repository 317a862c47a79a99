package io.caravan.binding.rabbitmq;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.impl.ForgivingExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * amqp-client's default handler, except for one message: when the broker refuses a connection
 * (a missing virtual host, a wrong password) it closes the socket, and the client's reader
 * thread then warns "An unexpected connection driver error occurred (Socket closed)", several
 * times per attempt, although the refusal itself already reached the caller, who reports it
 * once with the broker's words. Such errors, on a connection the broker had already closed, go
 * to DEBUG; everything else (a connection that breaks while open) is warned about as before.
 */
final class RabbitMqExceptionHandler extends ForgivingExceptionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(RabbitMqExceptionHandler.class);

    @Override
    public void handleUnexpectedConnectionDriverException(Connection conn, Throwable exception) {
        if (conn != null && conn.getCloseReason() != null) {
            LOG.debug("connection {} closed by the broker ({}); then: {}", conn.getClientProvidedName(),
                    conn.getCloseReason().getMessage(), exception.toString());
            return;
        }
        super.handleUnexpectedConnectionDriverException(conn, exception);
    }
}
