package io.caravan.webhook;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/** An address range written {@code 10.0.0.0/8}, {@code 2001:db8::/32}, or one address. */
public record Cidr(byte[] network, int prefix) {

    // literal addresses only: a host name would be looked up, and a range is of addresses
    private static final Pattern LITERAL = Pattern.compile("[0-9a-fA-F:.]+");

    /** The range, or empty when {@code text} is not an address or CIDR range. */
    public static Optional<Cidr> parse(String text) {
        String t = text.strip();
        int slash = t.indexOf('/');
        String address = slash < 0 ? t : t.substring(0, slash);
        if (!LITERAL.matcher(address).matches() || !(address.contains(".") || address.contains(":"))) {
            return Optional.empty();
        }
        try {
            byte[] bytes = InetAddress.getByName(address).getAddress();
            int prefix = slash < 0 ? bytes.length * 8 : Integer.parseInt(t.substring(slash + 1));
            if (prefix < 0 || prefix > bytes.length * 8) {
                return Optional.empty();
            }
            return Optional.of(new Cidr(bytes, prefix));
        } catch (UnknownHostException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Whether {@code address} (a literal) is in the range; addresses of the other family never are. */
    public boolean contains(String address) {
        byte[] other;
        try {
            other = InetAddress.getByName(address).getAddress();
        } catch (UnknownHostException e) {
            return false;
        }
        if (other.length != network.length) {
            return false;
        }
        int whole = prefix / 8;
        for (int i = 0; i < whole; i++) {
            if (other[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = 0xff << (8 - rest) & 0xff;
        return (other[whole] & mask) == (network[whole] & mask);
    }
}
