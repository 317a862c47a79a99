package io.caravan.workflow;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A parallel node's branches and the join they end at. {@code starts} are the targets of the
 * parallel's edges, one per branch; {@code branches} the nodes each start leads to before the
 * join (the parallel and the join themselves not included); {@code join} is null when the
 * branches share no join (a validation error).
 */
public record Fork(String parallel, String join, List<String> starts, List<Set<String>> branches) {

    /** The nodes on any branch. */
    public Set<String> nodes() {
        Set<String> all = new LinkedHashSet<>();
        branches.forEach(all::addAll);
        return all;
    }
}
