package io.caravan.binding.rabbitmq;

import com.rabbitmq.client.GetResponse;
import io.caravan.binding.Channel;
import io.caravan.binding.DeadLetterQueue;
import io.caravan.binding.ReceivedMessage;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Predicate;

/**
 * A dead-letter queue on RabbitMQ: read with basic.get without acknowledging, on a channel of
 * its own, and given back (basic.nack with requeue) when read or when the redrive closes; a
 * redrive acknowledges each message once its copy is confirmed. A message without a message-id
 * property is known by a hash of its body and headers, so a selection finds it again.
 */
final class RabbitMqDeadLetters implements DeadLetterQueue {

    private final String queue;
    private final com.rabbitmq.client.Channel channel;
    private final List<Long> held = new ArrayList<>();

    RabbitMqDeadLetters(RabbitMqConnections connections, Channel address) throws Exception {
        this.queue = address.address();
        this.channel = connections.channel();
        // fails with 404 (and closes the channel) when the queue does not exist
        channel.queueDeclarePassive(queue);
    }

    @Override
    public long count() throws Exception {
        return channel.queueDeclarePassive(queue).getMessageCount();
    }

    private List<GetResponse> get(int max) throws Exception {
        List<GetResponse> out = new ArrayList<>();
        while (out.size() < max) {
            GetResponse r = channel.basicGet(queue, false);
            if (r == null) {
                break;
            }
            held.add(r.getEnvelope().getDeliveryTag());
            out.add(r);
        }
        return out;
    }

    private static ReceivedMessage received(GetResponse r) throws Exception {
        ReceivedMessage m = RabbitMqProvisioner.toReceived(r.getEnvelope(), r.getProps(), r.getBody());
        java.util.Map<String, Object> metadata = new java.util.LinkedHashMap<>(m.metadata());
        metadata.put(DeadLetterQueue.RAW, r.getBody());
        m = new ReceivedMessage(m.id(), m.body(), m.attributes(), m.receipt(), m.timestamp(), metadata);
        if (r.getProps().getMessageId() != null) {
            return m;
        }
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(r.getBody());
        sha.update(String.valueOf(m.attributes()).getBytes(StandardCharsets.UTF_8));
        String id = "sha-" + HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        return new ReceivedMessage(id, m.body(), m.attributes(), m.receipt(), m.timestamp(), m.metadata());
    }

    private void releaseAll() throws Exception {
        for (long tag : List.copyOf(held)) {
            channel.basicNack(tag, false, true);
        }
        held.clear();
    }

    @Override
    public List<ReceivedMessage> browse(int max) throws Exception {
        List<ReceivedMessage> out = new ArrayList<>();
        for (GetResponse r : get(max)) {
            out.add(received(r));
        }
        releaseAll();
        return out;
    }

    @Override
    public List<Taken> take(int max, Predicate<ReceivedMessage> wanted) throws Exception {
        List<Taken> out = new ArrayList<>();
        // the unwanted stay unacknowledged until close, so basic.get does not give them again
        for (GetResponse r : get(Math.max(max, 1000))) {
            ReceivedMessage m = received(r);
            if (out.size() >= max || !wanted.test(m)) {
                continue;
            }
            long tag = r.getEnvelope().getDeliveryTag();
            out.add(Taken.of(m, () -> {
                channel.basicAck(tag, false);
                held.remove(tag);
            }));
            if (out.size() >= max) {
                break;
            }
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        try {
            if (channel.isOpen()) {
                releaseAll();
            }
        } finally {
            if (channel.isOpen()) {
                // closing the channel requeues whatever is still unacknowledged
                channel.close();
            }
        }
    }
}
