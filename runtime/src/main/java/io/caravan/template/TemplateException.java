package io.caravan.template;

/** A template or condition that cannot be parsed, with the 0-based offset of the problem. */
public class TemplateException extends RuntimeException {

    private final int offset;

    public TemplateException(String message, int offset) {
        super(message);
        this.offset = offset;
    }

    public int offset() {
        return offset;
    }
}
