package io.caravan.workflow;

import io.caravan.source.Location;
import io.caravan.source.ParsedFile;
import io.caravan.source.SourceNode;
import io.caravan.source.SourceMap;
import io.caravan.source.SourceList;
import io.caravan.source.SourceScalar;
import io.caravan.source.Problems;
import io.caravan.source.SourceParser;
import io.caravan.source.InvalidFileException;
import io.caravan.ErrorCode;
import io.caravan.credential.Credential;
import io.caravan.credential.CredentialStore;
import io.caravan.spec.BrokerSpec;
import io.caravan.spec.Field;
import io.caravan.webhook.WebhookAuth;
import io.caravan.template.Reference;
import io.caravan.template.RunContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns a parsed workflow file into a {@link Workflow}, or reports every problem in it at once
 * with its line, column and JSON path. What each key accepts comes from {@link NodeSpecs}.
 */
public final class WorkflowValidator {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");
    private static final Set<String> FIXED_ROOTS = Set.of(RunContext.INPUT, RunContext.TRIGGER, RunContext.NOW);
    private static final List<String> EDGE_LABELS = List.of(Edge.EACH, Edge.DONE, Edge.ERROR);

    private final List<BrokerSpec> bindings;
    private final CredentialStore credentials;
    private final ExpressionChecker expressions;

    public WorkflowValidator(List<BrokerSpec> bindings, CredentialStore credentials) {
        this(bindings, credentials, ExpressionChecker.templateReferences());
    }

    public WorkflowValidator(List<BrokerSpec> bindings, CredentialStore credentials, ExpressionChecker expressions) {
        this.bindings = List.copyOf(bindings);
        this.credentials = credentials;
        this.expressions = expressions;
    }

    /** The workflow in {@code file}; throws InvalidFileException listing every problem. */
    public Workflow validate(ParsedFile file) {
        if (GoraxFormat.isGorax(file.root())) {
            // a Gorax export: read in Caravan's form, every place still the Gorax file's
            file = GoraxFormat.toCaravan(file, java.nio.file.Path.of(file.displayName()).getFileName().toString());
        }
        return new Run(file).validate();
    }

    /** The receive_message field naming a consumer group, on brokers that have them. */
    private static final String CONSUMER_GROUP = "consumer_group";

    /** The state of validating one file. */
    private final class Run {

        private final ParsedFile file;
        private final Problems problems;
        private final FieldReader reader;
        private final ErrorHandlingReader errorHandlingReader;
        private final IdempotencyReader idempotencyReader;
        /** error_handling blocks read so far, checked against the graph once it is known. */
        private final Map<ErrorHandling, SourceNode> errorHandlingBlocks = new java.util.IdentityHashMap<>();
        /** The workflow's id once read (a receive bound to an exchange names its queue after it). */
        private String workflowId;

        Run(ParsedFile file) {
            this.file = file;
            this.problems = new Problems(file.displayName());
            this.reader = new FieldReader(problems, bindings.stream().map(BrokerSpec::queueType).toList(), expressions);
            this.errorHandlingReader = new ErrorHandlingReader(problems, reader, bindings, this::checkCredential);
            this.idempotencyReader = new IdempotencyReader(problems, reader);
        }

        private ErrorHandling errorHandling(SourceMap owner, String label) {
            return owner.get("error_handling").map(block -> {
                ErrorHandling eh = errorHandlingReader.read(block, label);
                errorHandlingBlocks.put(eh, block);
                return eh;
            }).orElse(ErrorHandling.NONE);
        }

        /**
         * A workflow whose trigger reads a broker that names a default dead letter (Kafka has no
         * native one, and a record that keeps failing would be read again forever and stall its
         * partition) gets that destination, on the trigger's broker and credential, when it sets
         * no dead letter of its own.
         */
        private ErrorHandling withDefaultDeadLetter(ErrorHandling workflowLevel, List<WorkflowNode> nodes) {
            if (workflowLevel.deadLetter() != null) {
                return workflowLevel;
            }
            for (WorkflowNode n : nodes) {
                BrokerSpec broker = n.trigger() && n.type() == NodeType.RECEIVE_MESSAGE ? broker(n.queueType()) : null;
                String destination = broker == null ? null
                        : broker.capabilities().defaultDeadLetterFor(n.config().string(NodeSpecs.Receive.SOURCE));
                if (destination != null) {
                    Map<String, Object> values = new LinkedHashMap<>();
                    values.put("native", false);
                    values.put(NodeSpecs.QUEUE_TYPE_FIELD.name(), broker.queueType());
                    values.put("destination", destination);
                    values.put(NodeSpecs.CREDENTIAL.name(), n.credentialId());
                    ErrorHandling.DeadLetter dl = new ErrorHandling.DeadLetter(false, broker.queueType(), destination,
                            n.credentialId(), new NodeConfig(values, Map.of(), n.config().location()), true);
                    return new ErrorHandling(workflowLevel.retry(), workflowLevel.circuitBreaker(), dl);
                }
            }
            return workflowLevel;
        }

        /**
         * Nodes named as a node's circuit-breaker fallback, each with the node it stands in for.
         * A fallback node runs only in that node's place, so it is kept out of the graph.
         */
        private Map<String, String> fallbackNodes(List<NodeDraft> nodes, ErrorHandling workflowLevel) {
            Map<String, String> out = new LinkedHashMap<>();
            Set<String> ids = new java.util.HashSet<>();
            nodes.forEach(n -> ids.add(n.id()));
            if (workflowLevel.circuitBreaker() != null && ids.contains(workflowLevel.circuitBreaker().fallback())) {
                problems.add(errorHandlingBlocks.get(workflowLevel).location(), "a fallback node can only be set on a"
                        + " node's own circuit_breaker, not the workflow's; use dead_letter or fail here");
            }
            for (NodeDraft n : nodes) {
                ErrorHandling.CircuitBreaker cb = n.errorHandling().circuitBreaker();
                if (cb == null || !ids.contains(cb.fallback())) {
                    continue;
                }
                NodeDraft fallback = nodes.stream().filter(f -> f.id().equals(cb.fallback())).findFirst().orElseThrow();
                Location at = errorHandlingBlocks.get(n.errorHandling()).location();
                if (fallback.id().equals(n.id())) {
                    problems.add(at, "node '" + n.id() + "' cannot be its own fallback");
                } else if (fallback.type() != null && fallback.type().role() == NodeType.Role.TRIGGER) {
                    problems.add(at, "fallback '" + fallback.id() + "' is a " + fallback.type().wireName()
                            + " trigger; a fallback must be an action node");
                } else if (out.putIfAbsent(fallback.id(), n.id()) != null) {
                    problems.add(at, "node '" + fallback.id() + "' is already the fallback of '" + out.get(fallback.id())
                            + "'; give each node its own fallback node");
                }
            }
            return out;
        }

        /**
         * Nodes named as another's {@code compensate}, each with the node it undoes. A compensation
         * runs only when a later node fails, so it is kept out of the graph like a fallback.
         */
        private Map<String, String> compensationNodes(List<NodeDraft> nodes) {
            Map<String, String> out = new LinkedHashMap<>();
            Map<String, NodeDraft> byId = new LinkedHashMap<>();
            nodes.forEach(n -> byId.put(n.id(), n));
            for (NodeDraft n : nodes) {
                if (!(n.values().get(NodeSpecs.COMPENSATE) instanceof String target)) {
                    continue;
                }
                Location at = n.locations().get(NodeSpecs.COMPENSATE);
                NodeDraft compensation = byId.get(target);
                if (compensation == null) {
                    problems.add(at, "compensate '" + target + "' is not a node id; nodes: "
                            + String.join(", ", byId.keySet()));
                } else if (target.equals(n.id())) {
                    problems.add(at, "node '" + n.id() + "' cannot be its own compensation");
                } else if (compensation.type() != null && !NodeSpecs.COMPENSABLE.contains(compensation.type())) {
                    problems.add(at, "compensation '" + target + "' is a " + compensation.type().wireName() + "; a"
                            + " compensation is one of " + String.join(", ", NodeSpecs.COMPENSABLE.stream()
                            .map(NodeType::wireName).sorted().toList()));
                } else if (compensation.values().containsKey(NodeSpecs.COMPENSATE)) {
                    problems.add(at, "compensation '" + target + "' names a compensation of its own; a compensation"
                            + " is not compensated");
                } else if (out.putIfAbsent(target, n.id()) != null) {
                    problems.add(at, "node '" + target + "' is already the compensation of '" + out.get(target)
                            + "'; give each node its own compensation node");
                }
            }
            return out;
        }

        /** Checks that need the whole graph: fallback nodes, and native DLQs against the trigger. */
        private void checkErrorHandling(List<NodeDraft> nodes, String trigger) {
            NodeDraft triggerNode = nodes.stream().filter(n -> n.id().equals(trigger)).findFirst().orElse(null);
            errorHandlingBlocks.forEach((eh, block) -> {
                SourceMap map = (SourceMap) block;
                if (eh.circuitBreaker() != null) {
                    String fallback = eh.circuitBreaker().fallback();
                    Location at = ((SourceMap) map.get("circuit_breaker").orElseThrow()).get("fallback")
                            .map(SourceNode::location).orElse(block.location());
                    if (!fallback.equals("fail") && !fallback.equals("dead_letter")
                            && nodes.stream().noneMatch(n -> n.id().equals(fallback))) {
                        problems.add(at, "fallback '" + fallback + "' is not a node id, dead_letter or fail; nodes: "
                                + String.join(", ", nodes.stream().map(NodeDraft::id).toList()));
                    }
                }
                if (eh.deadLetter() != null && triggerNode != null && triggerNode.is(NodeType.CALL)) {
                    problems.add(map.get("dead_letter").orElseThrow().location(), "a called workflow has no dead letter:"
                            + " its failure goes back to the workflow that called it, whose error handling applies"
                            + " (an async call's failure is logged and counted)");
                } else if (eh.deadLetter() != null && eh.deadLetter().nativeDlq() && triggerNode != null) {
                    BrokerSpec broker = broker(triggerNode.values().get(NodeSpecs.QUEUE_TYPE_FIELD.name()));
                    Location at = map.get("dead_letter").orElseThrow().location();
                    if (!triggerNode.is(NodeType.RECEIVE_MESSAGE)) {
                        problems.add(at, "native dead letter needs a receive_message trigger; this workflow starts with "
                                + triggerNode.type().wireName());
                    } else if (broker != null && !broker.capabilities().hasNativeDeadLetter()) {
                        problems.add(at, broker.description() + " has no native dead-letter queue; give dead_letter a"
                                + " queue_type, destination and credential_id instead");
                    }
                }
            });
        }

        /**
         * A delay or priority the broker cannot keep is an error that names what can; a literal
         * delay must read as a duration within the broker's limit, a literal priority 0 to 9.
         */
        private void checkDelayAndPriority(BrokerSpec broker, Map<String, Object> values, Map<String, Location> locations) {
            String delay = NodeSpecs.Send.DELAY.name();
            if (values.get(delay) instanceof String text) {
                Location at = locations.get(delay);
                if (!broker.capabilities().delay()) {
                    problems.add(at, broker.description() + " cannot delay a message; send it to SQS (up to 15 minutes)"
                            + " or RabbitMQ instead, or send at a clock time from a schedule trigger");
                } else if (!text.contains("{{")) {
                    java.util.Optional<java.time.Duration> d = io.caravan.spec.Durations.parse(text.strip());
                    if (d.isEmpty() || d.get().isNegative()) {
                        problems.add(at, "delay '" + text + "' is not " + io.caravan.spec.Durations.FORM);
                    } else if (d.get().compareTo(broker.capabilities().maxDelay()) > 0) {
                        problems.add(at, "delay " + text + " is more than " + broker.description() + " allows ("
                                + io.caravan.spec.Durations.format(broker.capabilities().maxDelay()) + ")");
                    }
                }
            }
            String priority = NodeSpecs.Send.PRIORITY.name();
            if (values.get(priority) instanceof String text) {
                Location at = locations.get(priority);
                if (!broker.capabilities().priority()) {
                    problems.add(at, broker.description() + " has no message priority; RabbitMQ has");
                } else if (!text.contains("{{") && !text.strip().matches("[0-9]")) {
                    problems.add(at, "priority '" + text + "' is not a whole number from 0 to 9");
                }
            }
        }

        /** A reply answers the message that started the run: the trigger must be a receive_message. */
        private void checkReplies(List<NodeDraft> nodes, String trigger) {
            NodeDraft start = nodes.stream().filter(n -> n.id().equals(trigger)).findFirst().orElse(null);
            if (start == null || start.type() == null || start.is(NodeType.RECEIVE_MESSAGE)) {
                return;
            }
            for (NodeDraft n : nodes) {
                if (n.is(NodeType.REPLY)) {
                    problems.add(n.location(), "node '" + n.id() + "' replies to the message that started the run, but"
                            + " this workflow starts with " + start.type().wireName() + "; a reply needs a receive_message"
                            + " trigger (a webhook or a call answers with the run's output)");
                }
            }
        }

        /**
         * Two receive_message nodes of one workflow that read one source of a broker with consumer
         * groups (Kafka, Redis) in one group would split its messages between them, each seeing
         * only part: reported at the second, which should name its own {@code consumer_group}.
         */
        private void checkSharedGroups(List<NodeDraft> nodes) {
            Map<List<Object>, NodeDraft> readers = new HashMap<>();
            for (NodeDraft n : nodes) {
                BrokerSpec broker = n.is(NodeType.RECEIVE_MESSAGE)
                        ? broker(n.values().get(NodeSpecs.QUEUE_TYPE_FIELD.name())) : null;
                if (broker == null || broker.receiveFields().stream().noneMatch(f -> f.name().equals(CONSUMER_GROUP))) {
                    continue;
                }
                Object group = n.values().get(CONSUMER_GROUP);
                List<Object> key = java.util.Arrays.asList(broker.queueType(), n.values().get(NodeSpecs.CREDENTIAL.name()),
                        n.values().get(NodeSpecs.Receive.SOURCE.name()), group);
                NodeDraft first = readers.putIfAbsent(key, n);
                if (first != null) {
                    Location at = n.locations().getOrDefault(NodeSpecs.Receive.SOURCE.name(), n.location());
                    problems.add(at, "node '" + n.id() + "' reads " + broker.queueType() + " source '"
                            + key.get(2) + "' in the same consumer group as node '" + first.id() + "' (line "
                            + first.location().line() + ")" + (group == null ? ", the workflow's" : " '" + group + "'")
                            + "; they would split its messages, each seeing part of them: give one of them its own"
                            + " consumer_group");
                }
            }
        }

        /**
         * Duplicates are recognised where messages arrive, before anything else runs, so the block
         * belongs on a receive_message that is the trigger and nowhere else.
         */
        private void checkIdempotency(SourceMap wf, List<NodeDraft> nodes, String trigger) {
            Optional<SourceNode> list = wf.get("nodes");
            if (list.isEmpty() || !(list.get() instanceof SourceList items)) {
                return;
            }
            for (SourceNode item : items.items()) {
                if (!(item instanceof SourceMap node) || node.entry("idempotency").isEmpty()) {
                    continue;
                }
                Location at = node.entry("idempotency").orElseThrow().keyLocation();
                String id = node.get("id").filter(SourceScalar.class::isInstance)
                        .map(v -> String.valueOf(((SourceScalar) v).value())).orElse(null);
                NodeDraft draft = nodes.stream().filter(n -> n.id().equals(id)).findFirst().orElse(null);
                if (draft == null || draft.type() == null) {
                    continue;
                }
                // on other node types the key is already reported as unknown
                if (draft.is(NodeType.RECEIVE_MESSAGE) && trigger != null && !id.equals(trigger)) {
                    problems.add(at, "idempotency applies only to a receive_message trigger; '" + id
                            + "' is not the first node (the trigger is '" + trigger + "')");
                }
            }
        }

        Workflow validate() {
            if (!(file.root() instanceof SourceMap wf)) {
                problems.add(file.root().location(), "a workflow must be an object with id and nodes, got "
                        + file.root().kindName());
                throw new InvalidFileException(problems.sorted());
            }
            unknownKeys(wf, NodeSpecs.WORKFLOW_KEYS, "workflow");
            String id = id(wf, "workflow");
            workflowId = id;
            String name = string(wf, "name").orElse(id);
            string(wf, "description");
            ErrorHandling workflowErrorHandling = errorHandling(wf, "workflow");
            List<NodeDraft> nodes = nodes(wf);
            boolean complete = nodes.stream().allMatch(n -> n.type() != null) && nodes.size() == nodeCount(wf);
            List<EdgeDraft> edges = edges(wf);
            Location nodesAt = wf.get("nodes").map(SourceNode::location).orElse(wf.location());
            Map<String, String> compensations = compensationNodes(nodes);
            GraphChecker.Result graph = new GraphChecker(problems, nodes, nodesAt, complete,
                    fallbackNodes(nodes, workflowErrorHandling), compensations).check(edges);
            for (NodeDraft n : nodes) {
                // a compensation runs because a later node failed: {{error.*}} is known there
                checkReferences(n, graph.earlier().getOrDefault(n.id(), List.of()),
                        graph.onErrorBranch().contains(n.id()) || compensations.containsKey(n.id()));
            }
            checkErrorHandling(nodes, graph.trigger());
            checkIdempotency(wf, nodes, graph.trigger());
            checkSharedGroups(nodes);
            checkReplies(nodes, graph.trigger());
            if (!problems.isEmpty()) {
                throw new InvalidFileException(problems.sorted());
            }
            List<WorkflowNode> built = nodes.stream().map(n -> new WorkflowNode(n.id(), n.type(), n.name(),
                    new NodeConfig(n.values(), n.locations(), n.configLocation()), n.id().equals(graph.trigger()),
                    n.location(), n.errorHandling(), n.idempotency())).toList();
            return new Workflow(id, name, built, graph.edges(), file.displayName(), file.version(),
                    withDefaultDeadLetter(workflowErrorHandling, built));
        }

        private int nodeCount(SourceMap wf) {
            return wf.get("nodes").filter(SourceList.class::isInstance).map(l -> ((SourceList) l).items().size()).orElse(0);
        }

        private List<NodeDraft> nodes(SourceMap wf) {
            Optional<SourceNode> list = wf.get("nodes");
            if (list.isEmpty()) {
                problems.add(wf.location(), "workflow is missing required key 'nodes'");
                return List.of();
            }
            if (!(list.get() instanceof SourceList items) || items.items().isEmpty()) {
                problems.add(list.get().location(), "nodes must be a non-empty list, got " + describe(list.get()));
                return List.of();
            }
            List<NodeDraft> out = new ArrayList<>();
            Map<String, Location> seen = new HashMap<>();
            for (SourceNode item : items.items()) {
                node(item).ifPresent(n -> {
                    Location first = seen.putIfAbsent(n.id(), n.location());
                    if (first == null) {
                        out.add(n);
                    } else {
                        Location at = ((SourceMap) item).get("id").orElseThrow().location();
                        problems.add(at, "duplicate node id '" + n.id() + "' (first at " + first.line() + ":"
                                + first.column() + ")");
                    }
                });
            }
            return out;
        }

        private Optional<NodeDraft> node(SourceNode item) {
            if (!(item instanceof SourceMap node)) {
                problems.add(item.location(), "a node must be an object with id and type, got " + item.kindName());
                return Optional.empty();
            }
            String id = id(node, "node");
            NodeType type = type(node);
            NodeSpecs.NodeSpec base = type == null ? null : NodeSpecs.of(type);
            List<String> nodeKeys = base == null ? anyNodeKeys() : base.nodeKeys();
            String owner = type == null ? "node" : type.wireName() + " node";
            unknownKeys(node, nodeKeys, owner);
            String name = string(node, "name").orElse(id);
            Optional<SourceNode> configNode = node.get("config");
            SourceMap config = null;
            if (configNode.isPresent() && !(configNode.get() instanceof SourceMap)) {
                problems.add(configNode.get().location(), "config must be an object, got " + configNode.get().kindName());
            } else {
                config = (SourceMap) configNode.orElse(null);
            }
            Location configAt = config != null ? config.location()
                    : new Location(node.location().line(), node.location().column(),
                            SourceParser.childPath(node.location().path(), "config"));
            if (id == null || type == null) {
                return Optional.ofNullable(id).map(i -> new NodeDraft(i, null, name, node.location(), configAt,
                        Map.of(), Map.of(), List.of(), ErrorHandling.NONE, null));
            }
            Map<String, SourceNode> written = written(node, config, base);
            SourceNode queueType = written.get(NodeSpecs.QUEUE_TYPE_FIELD.name());
            BrokerSpec binding = queueType instanceof SourceScalar s ? broker(s.value()) : null;
            NodeSpecs.NodeSpec spec = NodeSpecs.of(type, binding);
            if (config != null) {
                unknownKeys(config, configKeys(spec, binding), type.wireName() + " config");
            }
            Map<String, Object> values = new LinkedHashMap<>();
            Map<String, Location> locations = new LinkedHashMap<>();
            List<FieldReader.TemplateSite> sites = new ArrayList<>();
            for (Field f : spec.fields()) {
                SourceNode value = written.get(f.name());
                if (value != null) {
                    locations.put(f.name(), value.location());
                    reader.read(f, value, sites).ifPresent(v -> values.put(f.name(), v));
                } else if (f.required()) {
                    problems.add(configAt, type.wireName() + " config is missing required key '" + f.name() + "'");
                } else if (f.defaultValue() != null) {
                    values.put(f.name(), f.defaultValue());
                }
            }
            checkGroups(spec, written, configAt);
            if (type == NodeType.RECEIVE_MESSAGE && binding != null && !values.containsKey(NodeSpecs.Receive.SOURCE.name())) {
                // no source but an exchange: the workflow's own queue, <exchange>.<workflow id>, so
                // each workflow bound to the exchange gets its own copy of every message
                binding.destinationAlternatives().stream().sorted().filter(values::containsKey).findFirst().ifPresent(f -> {
                    values.put(NodeSpecs.Receive.SOURCE.name(), values.get(f) + "." + workflowId);
                    locations.put(NodeSpecs.Receive.SOURCE.name(), locations.get(f));
                });
            }
            if (binding != null && !binding.capabilities().deliveryCount()
                    && written.containsKey(NodeSpecs.Receive.MAX_DELIVERIES.name())) {
                problems.add(locations.get(NodeSpecs.Receive.MAX_DELIVERIES.name()), binding.description()
                        + " does not count deliveries, so max_deliveries cannot apply; a dead letter takes a message"
                        + " whose run failed for good");
            }
            if (binding != null && values.get(NodeSpecs.Receive.ORDERING.name()) instanceof String ordering
                    && binding.capabilities().runOrders().stream().noneMatch(o -> o.wireName().equals(ordering))) {
                problems.add(locations.get(NodeSpecs.Receive.ORDERING.name()), binding.description() + " cannot keep"
                        + " ordering '" + ordering + "'; it offers: " + String.join(", ", binding.capabilities().runOrders()
                        .stream().map(io.caravan.spec.Capabilities.RunOrder::wireName).toList()));
            }
            if (type == NodeType.SEND_MESSAGE && binding != null) {
                checkDelayAndPriority(binding, values, locations);
            }
            if (type == NodeType.WEBHOOK) {
                checkWebhook(values, written);
            }
            if (type == NodeType.SCHEDULE && written.containsKey(NodeSpecs.Schedule.TIMEZONE.name())
                    && !written.containsKey(NodeSpecs.Schedule.CRON_FIELD.name())) {
                problems.add(locations.get(NodeSpecs.Schedule.TIMEZONE.name()), "timezone applies to cron;"
                        + " an interval runs at the same pace in every time zone");
            }
            if (binding != null && values.get(NodeSpecs.CREDENTIAL.name()) instanceof String credentialId) {
                checkCredential(credentialId, binding, locations.get(NodeSpecs.CREDENTIAL.name()));
            }
            node.get(NodeSpecs.COMPENSATE).ifPresent(compensate -> {
                if (compensate instanceof SourceScalar scalar && scalar.value() instanceof String target && !target.isBlank()
                        && NodeSpecs.COMPENSABLE.contains(type)) {
                    values.put(NodeSpecs.COMPENSATE, target);
                    locations.put(NodeSpecs.COMPENSATE, compensate.location());
                } else if (NodeSpecs.COMPENSABLE.contains(type)) {
                    problems.add(compensate.location(), "compensate must be a node id, got " + compensate.kindName());
                }
            });
            ErrorHandling errorHandling = errorHandling(node, "node '" + id + "'");
            Idempotency idempotency = type != NodeType.RECEIVE_MESSAGE ? null
                    : node.get("idempotency").map(idempotencyReader::read).orElse(null);
            return Optional.of(new NodeDraft(id, type, name, node.location(), configAt, values, locations, sites,
                    errorHandling, idempotency));
        }

        /** Config fields as written, with the seed's node-level condition keys folded in. */
        private Map<String, SourceNode> written(SourceMap node, SourceMap config, NodeSpecs.NodeSpec spec) {
            Map<String, SourceNode> out = new LinkedHashMap<>();
            Map<String, String> aliases = NodeSpecs.CONFIG_ALIASES.getOrDefault(spec.type(), Map.of());
            if (config != null) {
                config.entries().stream().filter(e -> config.get(e.key()).isPresent() && !aliases.containsKey(e.key()))
                        .forEach(e -> out.put(e.key(), e.value()));
                aliases.forEach((alias, field) -> config.entry(alias).ifPresent(e -> {
                    if (out.containsKey(field)) {
                        problems.add(e.keyLocation(), "config '" + alias + "' and config '" + field
                                + "' say the same thing; write only one");
                    } else {
                        out.put(field, e.value());
                    }
                }));
            }
            spec.nodeLevel().forEach((key, field) -> node.get(key).ifPresent(v -> {
                if (out.containsKey(field)) {
                    problems.add(node.entry(key).orElseThrow().keyLocation(), "'" + key + "' and config '" + field
                            + "' say the same thing; write only one");
                } else {
                    out.put(field, v);
                }
            }));
            return out;
        }

        /** The broker of a queue_type as written, or null when it names none. */
        private BrokerSpec broker(Object queueType) {
            return bindings.stream().filter(b -> b.queueType().equals(queueType)).findFirst().orElse(null);
        }

        /** With the binding unknown, any binding's field is accepted so a bad queue_type is reported once. */
        private List<String> configKeys(NodeSpecs.NodeSpec spec, BrokerSpec binding) {
            Set<String> keys = new LinkedHashSet<>(spec.fieldNames());
            keys.addAll(NodeSpecs.CONFIG_ALIASES.getOrDefault(spec.type(), Map.of()).keySet());
            if (binding == null && (spec.type() == NodeType.SEND_MESSAGE || spec.type() == NodeType.RECEIVE_MESSAGE)) {
                for (BrokerSpec b : bindings) {
                    List<Field> extra = spec.type() == NodeType.SEND_MESSAGE ? b.sendFields() : b.receiveFields();
                    extra.forEach(f -> keys.add(f.name()));
                }
            }
            return List.copyOf(keys);
        }

        private void checkGroups(NodeSpecs.NodeSpec spec, Map<String, SourceNode> written, Location configAt) {
            for (NodeSpecs.Group g : spec.groups()) {
                long given = g.names().stream().filter(written::containsKey).count();
                String names = String.join(", ", g.names());
                if (given == 0 && g.exactlyOne()) {
                    problems.add(configAt, spec.type().wireName() + " config needs one of " + names);
                } else if (given == 0) {
                    problems.add(configAt, spec.type().wireName() + " config is missing required key '"
                            + g.names().get(0) + "' (or " + String.join(", ", g.names().subList(1, g.names().size())) + ")");
                } else if (given > 1 && g.exactlyOne()) {
                    problems.add(configAt, spec.type().wireName() + " config takes only one of " + names);
                }
            }
        }

        /**
         * A webhook's auth needs a webhook_secret credential with what its type checks, and
         * allowed_ips must be addresses or CIDR ranges.
         */
        @SuppressWarnings("unchecked")
        private void checkWebhook(Map<String, Object> values, Map<String, SourceNode> written) {
            if (values.get(WebhookAuth.AUTH.name()) instanceof Map<?, ?> auth && written.get(WebhookAuth.AUTH.name()) instanceof SourceMap at) {
                String type = (String) auth.get(WebhookAuth.TYPE.name());
                Object credentialId = auth.get(WebhookAuth.CREDENTIAL_ID.name());
                Location where = at.get(WebhookAuth.CREDENTIAL_ID.name()).map(SourceNode::location).orElse(at.location());
                if (!WebhookAuth.NONE.equals(type) && credentialId == null) {
                    problems.add(at.location(), "auth type " + type + " needs credential_id: a " + WebhookAuth.CREDENTIAL.type()
                            + " credential from the credentials file (the secret never goes in a workflow)");
                } else if (!WebhookAuth.NONE.equals(type)) {
                    Optional<Credential> credential = credentials.find((String) credentialId);
                    List<String> needs = WebhookAuth.BASIC.equals(type) ? List.of("username", "password") : List.of("secret");
                    if (credential.isEmpty()) {
                        problems.add(where, ErrorCode.CREDENTIAL_NOT_FOUND.name(), "credential '" + credentialId
                                + "' not found; known credentials: " + Problems.list(credentials.ids()));
                    } else if (!credential.get().type().equals(WebhookAuth.CREDENTIAL.type())) {
                        problems.add(where, "credential '" + credentialId + "' is " + credential.get().type() + " but auth needs "
                                + WebhookAuth.CREDENTIAL.type());
                    } else {
                        for (String field : needs) {
                            if (credential.get().string(field) == null || credential.get().string(field).isEmpty()) {
                                problems.add(where, "auth type " + type + " needs '" + field + "' in credential '"
                                        + credentialId + "'");
                            }
                        }
                    }
                }
            }
            if (values.get(WebhookAuth.ALLOWED_IPS.name()) instanceof List<?> ips
                    && written.get(WebhookAuth.ALLOWED_IPS.name()) instanceof SourceList list) {
                for (int i = 0; i < ips.size(); i++) {
                    if (io.caravan.webhook.Cidr.parse(String.valueOf(ips.get(i))).isEmpty()) {
                        problems.add(list.items().get(i).location(), "allowed_ips: \"" + ips.get(i) + "\" is not an"
                                + " address or CIDR range like 10.0.0.0/8 or 2001:db8::/32");
                    }
                }
            }
        }

        private void checkCredential(String id, BrokerSpec binding, Location at) {
            Optional<Credential> credential = credentials.find(id);
            if (credential.isEmpty()) {
                problems.add(at, ErrorCode.CREDENTIAL_NOT_FOUND.name(), "credential '" + id
                        + "' not found; known credentials: " + Problems.list(credentials.ids()));
            } else if (!credential.get().type().equals(binding.credential().type())) {
                problems.add(at, "credential '" + id + "' is " + credential.get().type() + " but queue_type "
                        + binding.queueType() + " needs " + binding.credential().type());
            }
        }

        private void checkReferences(NodeDraft node, List<String> earlier, boolean onErrorBranch) {
            for (FieldReader.TemplateSite site : node.sites()) {
                for (Reference ref : site.references()) {
                    if (ref.root().equals(RunContext.ERROR) && !onErrorBranch) {
                        problems.add(site.location(), "{{" + ref.text() + "}} is only known on an error branch (after"
                                + " an edge with label: error)");
                    } else if (!FIXED_ROOTS.contains(ref.root()) && !ref.root().equals(RunContext.ERROR)
                            && !earlier.contains(ref.root())) {
                        problems.add(site.location(), "{{" + ref.text() + "}} names no earlier node; earlier nodes: "
                                + Problems.list(earlier));
                    }
                }
            }
        }

        private List<EdgeDraft> edges(SourceMap wf) {
            Optional<SourceNode> list = wf.get("edges");
            if (list.isEmpty()) {
                return List.of();
            }
            if (!(list.get() instanceof SourceList items)) {
                problems.add(list.get().location(), "edges must be a list, got " + list.get().kindName());
                return List.of();
            }
            List<EdgeDraft> out = new ArrayList<>();
            for (SourceNode item : items.items()) {
                if (!(item instanceof SourceMap edge)) {
                    problems.add(item.location(), "an edge must be an object with from and to, got " + item.kindName());
                    continue;
                }
                unknownKeys(edge, NodeSpecs.EDGE_KEYS, "edge");
                String from = requiredString(edge, "from", "edge");
                String to = requiredString(edge, "to", "edge");
                Boolean when = null;
                Optional<SourceNode> whenNode = edge.get("when");
                if (whenNode.isPresent()) {
                    if (whenNode.get() instanceof SourceScalar s && s.value() instanceof Boolean b) {
                        when = b;
                    } else {
                        problems.add(whenNode.get().location(), "when must be true or false, got " + describe(whenNode.get()));
                    }
                }
                Optional<SourceNode> labelNode = edge.get("label");
                String label = null;
                if (labelNode.isPresent()) {
                    String text = labelNode.get() instanceof SourceScalar s && s.value() != null ? s.value().toString() : null;
                    if ("true".equals(text) || "false".equals(text)) {
                        Boolean labelled = Boolean.valueOf(text);
                        if (when != null && !labelled.equals(when)) {
                            problems.add(labelNode.get().location(), "label \"" + labelled + "\" and when: " + when
                                    + " disagree; keep one of them");
                        }
                        when = labelled;
                    } else if (EDGE_LABELS.contains(text)) {
                        label = text;
                    } else {
                        problems.add(labelNode.get().location(), "label must be \"true\" or \"false\" (leaving a"
                                + " condition), \"each\" or \"done\" (leaving a for_each) or \"error\" (taken when"
                                + " the node fails), got " + describe(labelNode.get()));
                    }
                }
                if (from != null && to != null) {
                    out.add(new EdgeDraft(new Edge(from, to, when, label, edge.location()), at(edge, "from"), at(edge, "to"),
                            whenNode.or(() -> labelNode).map(SourceNode::location).orElse(edge.location()),
                            labelNode.map(SourceNode::location).orElse(edge.location())));
                }
            }
            return out;
        }

        private NodeType type(SourceMap node) {
            String type = requiredString(node, "type", "node");
            if (type == null) {
                return null;
            }
            Optional<NodeType> t = NodeType.fromWireName(type);
            if (t.isEmpty()) {
                problems.add(at(node, "type"), "unknown node type '" + type + "'; valid types: "
                        + String.join(", ", NodeType.wireNames()));
            }
            return t.orElse(null);
        }

        private String id(SourceMap map, String owner) {
            String id = requiredString(map, "id", owner);
            if (id != null && !ID.matcher(id).matches()) {
                problems.add(at(map, "id"), "id '" + id + "' must start with a letter or digit and hold only"
                        + " letters, digits, '_', '.' and '-'");
                return null;
            }
            return id;
        }

        private String requiredString(SourceMap map, String key, String owner) {
            if (map.get(key).isEmpty()) {
                problems.add(map.location(), owner + " is missing required key '" + key + "'");
                return null;
            }
            return string(map, key).orElse(null);
        }

        private Optional<String> string(SourceMap map, String key) {
            Optional<SourceNode> v = map.get(key);
            if (v.isEmpty()) {
                return Optional.empty();
            }
            if (v.get() instanceof SourceScalar s && s.value() instanceof String text) {
                return Optional.of(text);
            }
            problems.add(v.get().location(), key + " must be a string, got " + describe(v.get()));
            return Optional.empty();
        }

        private void unknownKeys(SourceMap map, List<String> valid, String owner) {
            for (SourceMap.Entry e : map.entries()) {
                if (!valid.contains(e.key())) {
                    problems.add(e.keyLocation(), "unknown key '" + e.key() + "' in " + owner + "; valid keys: "
                            + Problems.list(valid));
                }
            }
        }

        private static Location at(SourceMap map, String key) {
            return map.get(key).map(SourceNode::location).orElse(map.location());
        }

        private static String describe(SourceNode node) {
            return node instanceof SourceScalar s && s.value() != null ? s.shown() : node.kindName();
        }

        private static List<String> anyNodeKeys() {
            Set<String> keys = new LinkedHashSet<>(NodeSpecs.NODE_KEYS);
            for (NodeType t : NodeType.values()) {
                keys.addAll(NodeSpecs.of(t).nodeKeys());
            }
            return List.copyOf(keys);
        }
    }
}
