package io.caravan.binding.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import io.caravan.binding.BindingSupport;
import io.caravan.binding.Provisioner;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Requests that wait for an answer, over RabbitMQ's direct reply-to
 * (https://www.rabbitmq.com/docs/direct-reply-to): one channel per credential consumes the
 * pseudo-queue {@code amq.rabbitmq.reply-to} (no acks) and publishes the requests, in confirm
 * mode, with {@code reply_to: amq.rabbitmq.reply-to} and a fresh {@code correlation_id}; each
 * answer completes the request with its correlation id. No reply queue to declare or clean up.
 */
final class RabbitMqRequests {

    private static final String DIRECT_REPLY_TO = "amq.rabbitmq.reply-to";

    private final RabbitMqConnections connections;
    private final io.caravan.binding.Answers answers = new io.caravan.binding.Answers();
    private Channel channel;

    RabbitMqRequests(RabbitMqConnections connections) {
        this.connections = connections;
    }

    /** The channel, opened (and consuming the answers) on first use or after it closed. */
    private synchronized Channel channel() throws Exception {
        if (channel == null || !channel.isOpen()) {
            Channel ch = connections.publishing().createChannel();
            ch.confirmSelect();
            ch.basicConsume(DIRECT_REPLY_TO, true, (tag, delivery) -> {
                Map<String, String> attributes = new LinkedHashMap<>();
                if (delivery.getProperties().getHeaders() != null) {
                    delivery.getProperties().getHeaders().forEach((k, v) -> {
                        if (v != null && !BindingSupport.isControlName(k)) {
                            attributes.put(k, BindingSupport.text(v));
                        }
                    });
                }
                answers.answer(delivery.getProperties().getCorrelationId(),
                        new Provisioner.Reply(new String(delivery.getBody(), StandardCharsets.UTF_8), attributes));
            }, tag -> { });
            channel = ch;
        }
        return channel;
    }

    Optional<Provisioner.Reply> request(String exchange, String routingKey, String body, Map<String, String> attributes,
                                        Duration timeout) throws Exception {
        Map<String, Object> headers = new LinkedHashMap<>();
        attributes.forEach((k, v) -> {
            if (!BindingSupport.isControlName(k)) {
                headers.put(k, v);
            }
        });
        return answers.ask(correlationId -> {
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().replyTo(DIRECT_REPLY_TO)
                    .correlationId(correlationId).messageId(UUID.randomUUID().toString()).contentType("text/plain")
                    .contentEncoding("UTF-8").timestamp(new java.util.Date()).headers(headers).build();
            // the channel that consumes the answers must publish the request (direct reply-to);
            // it is not thread-safe, so publishes and their confirms take turns
            synchronized (this) {
                Channel ch = channel();
                ch.basicPublish(exchange, routingKey, props, body.getBytes(StandardCharsets.UTF_8));
                ch.waitForConfirmsOrDie(10_000);
            }
        }, timeout);
    }
}
