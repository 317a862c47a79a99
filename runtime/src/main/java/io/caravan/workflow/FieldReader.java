package io.caravan.workflow;

import io.caravan.source.Location;
import io.caravan.source.SourceNode;
import io.caravan.source.SourceMap;
import io.caravan.source.SourceScalar;
import io.caravan.source.Problems;
import io.caravan.source.SourceList;
import io.caravan.spec.Durations;
import io.caravan.spec.Field;
import io.caravan.spec.Sizes;
import io.caravan.template.Reference;
import io.caravan.template.Template;
import io.caravan.template.TemplateException;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.quartz.CronExpression;

/**
 * Turns one written value into the Java value its {@link Field} asks for, recording a problem
 * when it does not fit. Template values are parsed here and their references kept for the graph
 * check that follows. A secret field's value is never repeated in a problem.
 */
final class FieldReader {

    /** A template or expression in the file and the references it makes. */
    record TemplateSite(Location location, String label, List<Reference> references) {
    }

    private final Problems problems;
    private final List<String> queueTypes;
    private final ExpressionChecker expressions;

    FieldReader(Problems problems, List<String> queueTypes, ExpressionChecker expressions) {
        this.problems = problems;
        this.queueTypes = queueTypes;
        this.expressions = expressions;
    }

    /** The value of {@code node} for {@code spec}, or empty when it is wrong (a problem is recorded). */
    Optional<Object> read(Field spec, SourceNode node, List<TemplateSite> sites) {
        String name = spec.name();
        switch (spec.kind()) {
            case ANY:
                return Optional.ofNullable(node.toPlain());
            case WHOLE_NUMBER:
                return wholeNumber(spec, node);
            case NUMBER:
                return number(spec, node);
            case BOOLEAN:
                if (node instanceof SourceScalar s && s.value() instanceof Boolean b) {
                    return Optional.of(b);
                }
                return wrong(spec, node, name + " must be true or false");
            case CHOICE_LIST:
                return choiceList(spec, node);
            case STRING_LIST:
                return stringList(spec, node);
            case OBJECT:
                return object(spec, node, sites);
            case SIZE:
                return size(spec, node);
            case TEMPLATE_MAP:
                return templateMap(spec, node, sites);
            default:
                break;
        }
        if (!(node instanceof SourceScalar s && s.value() instanceof String text)) {
            return wrong(spec, node, name + " must be " + (spec.kind() == Field.Kind.DURATION ? Durations.FORM : "a string"));
        }
        switch (spec.kind()) {
            case TEMPLATE:
                return template(name, text, node.location(), sites);
            case EXPRESSION:
                return expression(name, text, node.location(), sites);
            case DURATION:
                return duration(spec, text, node);
            case CHOICE:
                return oneOf(spec, text, spec.choices(), node);
            case QUEUE_TYPE:
                return oneOf(spec, text, queueTypes, node);
            case CRON:
                return cron(text, node);
            case TIME_ZONE:
                return timeZone(text, node);
            default:
                return Optional.of(text);
        }
    }

    private Optional<Object> wholeNumber(Field spec, SourceNode node) {
        if (!(node instanceof SourceScalar s && s.value() instanceof Long n)) {
            return wrong(spec, node, spec.name() + " must be a whole number");
        }
        if ((spec.min() != null && n < spec.min()) || (spec.max() != null && n > spec.max())) {
            String range = spec.max() == null ? "at least " + spec.min() : "between " + spec.min() + " and " + spec.max();
            problems.add(node.location(), spec.name() + " must be " + range + ", got " + n);
            return Optional.empty();
        }
        return Optional.of(n);
    }

    private Optional<Object> number(Field spec, SourceNode node) {
        if (!(node instanceof SourceScalar s && s.value() instanceof Number n) || s.value() instanceof java.math.BigInteger) {
            return wrong(spec, node, spec.name() + " must be a number");
        }
        double value = n.doubleValue();
        if ((spec.min() != null && value < spec.min()) || (spec.max() != null && value > spec.max())) {
            problems.add(node.location(), spec.name() + " must be " + spec.range() + ", got " + shown(spec, node));
            return Optional.empty();
        }
        return Optional.of(value);
    }

    private Optional<Object> choiceList(Field spec, SourceNode node) {
        if (!(node instanceof SourceList list)) {
            return wrong(spec, node, spec.name() + " must be a list, e.g. [" + String.join(", ",
                    spec.choices().subList(0, Math.min(2, spec.choices().size()))) + "]");
        }
        List<String> out = new ArrayList<>();
        boolean ok = true;
        for (SourceNode item : list.items()) {
            if (item instanceof SourceScalar s && s.value() instanceof String text && spec.choices().contains(text)) {
                out.add(text);
            } else {
                problems.add(item.location(), "unknown " + spec.name() + " value " + shown(spec, item) + "; valid values: "
                        + String.join(", ", spec.choices()));
                ok = false;
            }
        }
        return ok ? Optional.of(List.copyOf(out)) : Optional.empty();
    }

    /** An object: each written key read by its own field, unknown keys reported, defaults filled in. */
    private Optional<Object> object(Field spec, SourceNode node, List<TemplateSite> sites) {
        if (!(node instanceof SourceMap map)) {
            return wrong(spec, node, spec.name() + " must be an object with " + String.join(", ",
                    spec.fields().stream().map(Field::name).toList()));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        boolean ok = true;
        List<String> valid = spec.fields().stream().map(Field::name).toList();
        for (SourceMap.Entry e : map.entries()) {
            if (!valid.contains(e.key())) {
                problems.add(e.keyLocation(), "unknown key '" + e.key() + "' in " + spec.name() + "; valid keys: "
                        + String.join(", ", valid));
                ok = false;
            }
        }
        for (Field f : spec.fields()) {
            Optional<SourceNode> written = map.get(f.name());
            if (written.isPresent()) {
                Optional<Object> value = read(f.named(spec.name() + "." + f.name()), written.get(), sites);
                ok &= value.isPresent();
                value.ifPresent(v -> out.put(f.name(), v));
            } else if (f.required()) {
                problems.add(map.location(), spec.name() + " is missing required key '" + f.name() + "'");
                ok = false;
            } else if (f.defaultValue() != null) {
                out.put(f.name(), f.defaultValue());
            }
        }
        return ok ? Optional.of(out) : Optional.empty();
    }

    private Optional<Object> size(Field spec, SourceNode node) {
        Optional<Long> bytes = node instanceof SourceScalar s && s.value() instanceof Long n ? Optional.of(n)
                : node instanceof SourceScalar s2 && s2.value() instanceof String text ? Sizes.parse(text) : Optional.empty();
        if (bytes.isEmpty()) {
            return wrong(spec, node, spec.name() + " must be " + Sizes.FORM);
        }
        if ((spec.min() != null && bytes.get() < spec.min()) || (spec.max() != null && bytes.get() > spec.max())) {
            problems.add(node.location(), spec.name() + " must be " + spec.range() + " bytes, got " + shown(spec, node));
            return Optional.empty();
        }
        return Optional.of(bytes.get());
    }

    private Optional<Object> stringList(Field spec, SourceNode node) {
        if (!(node instanceof SourceList list)) {
            return wrong(spec, node, spec.name() + " must be a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (SourceNode item : list.items()) {
            if (!(item instanceof SourceScalar s && s.value() instanceof String text)) {
                return wrong(spec, item, spec.name() + " must be a list of strings");
            }
            out.add(text);
        }
        return Optional.of(List.copyOf(out));
    }

    private Optional<Object> templateMap(Field spec, SourceNode node, List<TemplateSite> sites) {
        if (!(node instanceof SourceMap map)) {
            return wrong(spec, node, spec.name() + " must be an object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        boolean ok = true;
        for (SourceMap.Entry e : map.entries()) {
            String label = spec.name() + "." + e.key();
            if (e.value() instanceof SourceScalar s && s.value() instanceof String text) {
                ok &= template(label, text, s.location(), sites).isPresent();
                out.put(e.key(), text);
            } else {
                wrong(spec, e.value(), label + " must be a string");
                ok = false;
            }
        }
        return ok ? Optional.of(out) : Optional.empty();
    }

    private Optional<Object> template(String label, String text, Location at, List<TemplateSite> sites) {
        try {
            sites.add(new TemplateSite(at, label, Template.parse(text).references()));
            return Optional.of(text);
        } catch (TemplateException e) {
            problems.add(at, label + " is not a valid template: " + e.getMessage());
            return Optional.empty();
        }
    }

    private Optional<Object> expression(String label, String text, Location at, List<TemplateSite> sites) {
        try {
            sites.add(new TemplateSite(at, label, new ArrayList<>(expressions.references(text))));
            return Optional.of(text);
        } catch (TemplateException e) {
            problems.add(at, label + " is not a valid expression: " + e.getMessage());
            return Optional.empty();
        }
    }

    private Optional<Object> duration(Field spec, String text, SourceNode node) {
        Optional<Duration> parsed = Durations.parse(text);
        if (parsed.isEmpty()) {
            return wrong(spec, node, spec.name() + " must be " + Durations.FORM);
        }
        Duration d = parsed.get();
        if (spec.positive() && d.isZero()) {
            String limit = spec.maxDuration() == null ? "" : " and at most " + Durations.format(spec.maxDuration());
            problems.add(node.location(), spec.name() + " must be more than 0" + limit + ", got \"" + text + "\"");
            return Optional.empty();
        }
        if (spec.maxDuration() != null && d.compareTo(spec.maxDuration()) > 0) {
            problems.add(node.location(), spec.name() + " must be at most " + Durations.format(spec.maxDuration())
                    + ", got \"" + text + "\"");
            return Optional.empty();
        }
        return Optional.of(d);
    }

    private Optional<Object> oneOf(Field spec, String text, List<String> choices, SourceNode node) {
        if (choices.contains(text)) {
            return Optional.of(text);
        }
        problems.add(node.location(), spec.name() + " must be one of " + String.join(", ", choices) + ", got "
                + shown(spec, node));
        return Optional.empty();
    }

    private Optional<Object> cron(String text, SourceNode node) {
        try {
            CronExpression.validateExpression(text);
            return Optional.of(text);
        } catch (ParseException e) {
            problems.add(node.location(), "cron \"" + text + "\" is not a Quartz cron expression (seconds minutes hours"
                    + " day-of-month month day-of-week [year], e.g. \"0 0/5 * * * ?\"): " + e.getMessage());
            return Optional.empty();
        }
    }

    /** A region of the IANA time zone database as the JVM has it (not an offset like +01:00). */
    private Optional<Object> timeZone(String text, SourceNode node) {
        if (java.time.ZoneId.getAvailableZoneIds().contains(text)) {
            return Optional.of(text);
        }
        String near = java.time.ZoneId.getAvailableZoneIds().stream()
                .filter(z -> z.equalsIgnoreCase(text) || z.toLowerCase(java.util.Locale.ROOT).endsWith("/" + text.toLowerCase(java.util.Locale.ROOT)))
                .sorted().findFirst().map(z -> "; did you mean " + z + "?").orElse("");
        problems.add(node.location(), "timezone \"" + text + "\" is not an IANA time zone (e.g. Europe/Berlin,"
                + " America/New_York, UTC)" + near);
        return Optional.empty();
    }

    private Optional<Object> wrong(Field spec, SourceNode node, String expectation) {
        problems.add(node.location(), expectation + ", got " + shown(spec, node));
        return Optional.empty();
    }

    /** The value written, as a problem may quote it: a secret's is never quoted. */
    static String shown(Field spec, SourceNode node) {
        if (node instanceof SourceScalar s && s.value() != null) {
            return spec.secret() ? "another value" : s.shown();
        }
        return node.kindName();
    }
}
