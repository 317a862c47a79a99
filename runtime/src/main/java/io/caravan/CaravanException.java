package io.caravan;

/**
 * A failure with one of Caravan's error codes, and the workflow node it happened in (null when
 * it happened outside any node). Messages must never contain a credential's secret.
 */
public class CaravanException extends RuntimeException {

    private final ErrorCode code;
    private final String node;

    public CaravanException(ErrorCode code, String message) {
        this(code, message, null, null);
    }

    public CaravanException(ErrorCode code, String message, String node, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.node = node;
    }

    public ErrorCode code() {
        return code;
    }

    public String node() {
        return node;
    }

    /** The same failure, attributed to a node if it was not attributed yet. */
    public CaravanException inNode(String nodeId) {
        if (node != null) {
            return this;
        }
        CaravanException e = new CaravanException(code, getMessage(), nodeId, getCause());
        e.setStackTrace(getStackTrace());
        return e;
    }

    /** {@code {"code", "message", "node"}}: how a failure is shown to a webhook caller and an error branch. */
    public java.util.Map<String, Object> describe() {
        java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("code", code.name());
        out.put("message", getMessage());
        out.put("node", node);
        return out;
    }
}
