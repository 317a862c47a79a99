package io.caravan.template;

/** A reference whose value the run context does not hold, e.g. {@code {{input.user.id}}} with no user. */
public class MissingValueException extends RuntimeException {

    private final String reference;

    public MissingValueException(String reference, String detail) {
        super("{{" + reference + "}} has no value: " + detail);
        this.reference = reference;
    }

    public String reference() {
        return reference;
    }
}
