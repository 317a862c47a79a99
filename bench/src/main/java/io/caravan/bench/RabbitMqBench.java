package io.caravan.bench;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.MessageProperties;
import io.caravan.brokers.Sockets;
import io.caravan.brokers.EmbeddedAmqp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

/**
 * RabbitMQ: the system service on 127.0.0.1:5672 (guest/guest), or an in-process AMQP 0-9-1
 * broker (Qpid) when none answers, and the four pipes on it.
 */
final class RabbitMqBench extends Broker {

    private final String host = "127.0.0.1";
    private final int port;
    private final EmbeddedAmqp embedded;
    private final Connection admin;

    RabbitMqBench() throws Exception {
        if (Sockets.answers(host, 5672)) {
            port = 5672;
            embedded = null;
            notes.add("RabbitMQ: the system service on 127.0.0.1:5672");
        } else {
            embedded = EmbeddedAmqp.start(0);
            port = embedded.port();
            notes.add("RabbitMQ: NO RabbitMQ answered on 127.0.0.1:5672, so these figures are for an in-process "
                    + "Qpid AMQP 0-9-1 broker on port " + port + ", not RabbitMQ");
        }
        admin = factory().newConnection("bench-admin");
    }

    private ConnectionFactory factory() {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(host);
        f.setPort(port);
        f.setUsername("guest");
        f.setPassword("guest");
        return f;
    }

    @Override
    String name() {
        return "rabbitmq";
    }

    @Override
    int drainCount() {
        return 50_000;
    }

    @Override
    int fixedRate() {
        return 1000;
    }

    @Override
    String queueType() {
        return "rabbitmq";
    }

    @Override
    String credential(String id, String group) {
        return id + ": {type: queue_rabbitmq, url: \"amqp://guest:guest@" + host + ":" + port + "\"}\n";
    }

    @Override
    void create(String src, String dst, int partitions) throws Exception {
        try (Channel ch = admin.createChannel()) {
            ch.queueDeclare(src, true, false, false, null);
            ch.queueDeclare(dst, true, false, false, null);
        }
    }

    @Override
    void delete(String src, String dst) {
        try (Channel ch = admin.createChannel()) {
            ch.queueDelete(src);
            ch.queueDelete(dst);
        } catch (Exception e) {
            // memory only
        }
    }

    @Override
    long remaining(String src) throws Exception {
        Thread.sleep(500); // a closed consumer's unacknowledged messages are requeued
        try (Channel ch = admin.createChannel()) {
            return ch.queueDeclarePassive(src).getMessageCount();
        }
    }

    @Override
    Loader loader(String src) throws Exception {
        Connection c = factory().newConnection("bench-loader");
        Channel ch = c.createChannel();
        ch.confirmSelect();
        return new Loader() {
            @Override
            public void send(long id) {
                try {
                    ch.basicPublish("", src, MessageProperties.PERSISTENT_BASIC, Payload.message(id).getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public void flush() {
                try {
                    ch.waitForConfirmsOrDie(60_000);
                } catch (Exception e) {
                    throw new IllegalStateException("loading " + src + " was not confirmed: " + e, e);
                }
            }

            @Override
            public void close() {
                try {
                    c.close();
                } catch (Exception e) {
                    // closing anyway
                }
            }
        };
    }

    @Override
    AutoCloseable sink(String dst, Recorder recorder) throws Exception {
        Connection c = factory().newConnection("bench-sink");
        Channel ch = c.createChannel();
        ch.basicQos(1000);
        ch.basicConsume(dst, true, new DefaultConsumer(ch) {
            @Override
            public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) {
                recorder.record(new String(body, StandardCharsets.UTF_8));
            }
        });
        return c::close;
    }

    @Override
    Pipe pipe(Variant variant, String src, String dst) {
        return switch (variant) {
            case RAW -> new RawPipe(src, dst);
            // https://camel.apache.org/components/4.14.x/spring-rabbitmq-component.html
            // Defaults plus what at-least-once needs: publisher confirms (confirm=enabled, with a
            // connection factory that confirms); the consumer's default AUTO acknowledge mode acks
            // only once the route, and so the confirmed send, has finished. The queues exist
            // (durable, declared by the bench), so the consumer must not declare them again.
            case CAMEL -> new CamelPipe("rabbitmq-camel", route(src, dst, ""), Map.of("rabbitCf", springFactory()));
            // Tuned as the same page suggests: prefetchCount "can be set quite high to improve
            // throughput", and concurrentConsumers for parallel listeners (each waits for its own
            // confirms, so several overlap).
            case CAMEL_TUNED -> new CamelPipe("rabbitmq-camel-tuned",
                    route(src, dst, "&prefetchCount=1000&concurrentConsumers=4"), Map.of("rabbitCf", springFactory()));
            case CARAVAN -> new CaravanPipe(this, src, dst, 1);
            case CARAVAN_TRACED -> new CaravanPipe(this, src, dst, 1).traced();
        };
    }

    private CachingConnectionFactory springFactory() {
        CachingConnectionFactory f = new CachingConnectionFactory(host, port);
        f.setUsername("guest");
        f.setPassword("guest");
        f.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.CORRELATED);
        return f;
    }

    private static RouteBuilder route(String src, String dst, String consumerOptions) {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("spring-rabbitmq:default?connectionFactory=#rabbitCf&queues=" + src + "&autoDeclare=false" + consumerOptions)
                        .process(e -> e.getMessage().setBody(Payload.transform(e.getMessage().getBody(String.class))))
                        .to("spring-rabbitmq:default?connectionFactory=#rabbitCf&routingKey=" + dst + "&confirm=enabled");
            }
        };
    }

    /**
     * amqp-client: consume with a prefetch, publish in confirm mode, and acknowledge (multiple)
     * up to the last delivery whose publish, and every publish before it, is confirmed.
     */
    private final class RawPipe implements Pipe {
        private final String src;
        private final String dst;
        /** publish sequence number → {delivery tag, confirmed (1) or not (0)} */
        private final TreeMap<Long, long[]> pending = new TreeMap<>();
        private Connection connection;

        RawPipe(String src, String dst) {
            this.src = src;
            this.dst = dst;
        }

        @Override
        public void start() throws Exception {
            connection = factory().newConnection("bench-raw");
            Channel in = connection.createChannel();
            Channel out = connection.createChannel();
            out.confirmSelect();
            out.addConfirmListener((seq, multiple) -> confirmed(in, seq, multiple),
                    (seq, multiple) -> System.err.println("[bench] rabbitmq raw: publish " + seq + " nacked"));
            in.basicQos(1000);
            in.basicConsume(src, false, new DefaultConsumer(in) {
                @Override
                public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body)
                        throws IOException {
                    byte[] output = Payload.transform(body).getBytes(StandardCharsets.UTF_8);
                    synchronized (pending) {
                        pending.put(out.getNextPublishSeqNo(), new long[] {env.getDeliveryTag(), 0});
                    }
                    out.basicPublish("", dst, MessageProperties.PERSISTENT_BASIC, output);
                }
            });
        }

        private void confirmed(Channel in, long seq, boolean multiple) throws IOException {
            long ackUpTo = -1;
            synchronized (pending) {
                if (multiple) {
                    pending.headMap(seq, true).values().forEach(v -> v[1] = 1);
                } else if (pending.containsKey(seq)) {
                    pending.get(seq)[1] = 1;
                }
                while (!pending.isEmpty() && pending.firstEntry().getValue()[1] == 1) {
                    ackUpTo = pending.pollFirstEntry().getValue()[0];
                }
            }
            if (ackUpTo >= 0) {
                in.basicAck(ackUpTo, true);
            }
        }

        @Override
        public void close() throws Exception {
            if (connection != null) {
                connection.close((int) TimeUnit.SECONDS.toMillis(10));
            }
        }
    }

    @Override
    public void close() {
        try {
            admin.close();
        } catch (Exception e) {
            // closing anyway
        }
        if (embedded != null) {
            embedded.close();
        }
    }
}
