package io.caravan.binding.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.util.concurrent.TimeoutException;

/**
 * One credential's RabbitMQ client, bound in the registry as {@code #caravan-credential-<id>}:
 * one connection for publishing and one for consuming, each opened on first use (so a broker
 * that is down does not fail the bind) and then kept; amqp-client's automatic recovery, on by
 * default, reconnects them and their channels and consumers after a network failure
 * (https://www.rabbitmq.com/client-libraries/java-api-guide#recovery).
 *
 * <p>Two connections because RabbitMQ blocks a connection that publishes when it raises a
 * resource alarm; consumers on their own connection keep acknowledging, which is what frees
 * the memory (https://www.rabbitmq.com/docs/connection-blocked).
 */
public final class RabbitMqConnections implements AutoCloseable {

    private final ConnectionFactory factory;
    private final String name;
    private final String address;
    private Connection publishing;
    private Connection consuming;
    private boolean closed;

    public RabbitMqConnections(ConnectionFactory factory, String name) {
        this.factory = factory;
        this.name = name;
        this.address = factory.getHost() + ":" + factory.getPort() + "/" + factory.getVirtualHost();
    }

    /** host:port/vhost, for messages: never the password. */
    public String address() {
        return address;
    }

    public synchronized Connection publishing() throws IOException, TimeoutException {
        if (publishing == null) {
            publishing = open("publish");
        }
        return publishing;
    }

    public synchronized Connection consuming() throws IOException, TimeoutException {
        if (consuming == null) {
            consuming = open("consume");
        }
        return consuming;
    }

    /** A short-lived channel for a declare, a basic.get or a depth check; the caller closes it. */
    public Channel channel() throws IOException, TimeoutException {
        return publishing().createChannel();
    }

    private Connection open(String use) throws IOException, TimeoutException {
        if (closed) {
            throw new IllegalStateException("the RabbitMQ client of " + name + " is closed (credential rebound)");
        }
        return factory.newConnection(name + ":" + use);
    }

    @Override
    public synchronized void close() {
        closed = true;
        for (Connection c : new Connection[] {publishing, consuming}) {
            if (c != null) {
                try {
                    c.close(5_000);
                } catch (Exception ignored) {
                    // closing: nothing left to do with it
                }
            }
        }
        publishing = null;
        consuming = null;
    }
}
