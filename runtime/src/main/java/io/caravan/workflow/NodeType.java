package io.caravan.workflow;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The node types a workflow may use, by the name written in the file. */
public enum NodeType {
    WEBHOOK("webhook", Role.TRIGGER),
    SCHEDULE("schedule", Role.TRIGGER),
    /** A trigger: the workflow runs when a workflow node of another workflow calls it. */
    CALL("call", Role.TRIGGER),
    /** A trigger when it is the first node (no incoming edges), a pull action otherwise. */
    RECEIVE_MESSAGE("receive_message", Role.EITHER),
    SEND_MESSAGE("send_message", Role.ACTION),
    HTTP("http", Role.ACTION),
    CONDITION("condition", Role.ACTION),
    TRANSFORM("transform", Role.ACTION),
    LOG("log", Role.ACTION),
    DELAY("delay", Role.ACTION),
    FOR_EACH("for_each", Role.ACTION),
    PARALLEL("parallel", Role.ACTION),
    JOIN("join", Role.ACTION),
    WORKFLOW("workflow", Role.ACTION),
    REPLY("reply", Role.ACTION);

    public enum Role { TRIGGER, ACTION, EITHER }

    private final String wireName;
    private final Role role;

    NodeType(String wireName, Role role) {
        this.wireName = wireName;
        this.role = role;
    }

    public String wireName() {
        return wireName;
    }

    public Role role() {
        return role;
    }

    public static Optional<NodeType> fromWireName(String name) {
        return Arrays.stream(values()).filter(t -> t.wireName.equals(name)).findFirst();
    }

    public static List<String> wireNames() {
        return Arrays.stream(values()).map(NodeType::wireName).toList();
    }
}
