package io.caravan.source;

import java.util.List;

/** A list in a source file. */
public record SourceList(Location location, List<SourceNode> items) implements SourceNode {

    public SourceList {
        items = List.copyOf(items);
    }

    @Override
    public String kindName() {
        return "a list";
    }

    @Override
    public Object toPlain() {
        return SourceMap.plainList(items);
    }
}
