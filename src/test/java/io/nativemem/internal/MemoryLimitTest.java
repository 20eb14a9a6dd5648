package io.nativemem.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryLimitTest {

    @ParameterizedTest
    @CsvSource({
        "0, 0", "1, 1", "4096, 4096", "1k, 1024", "1K, 1024", "64m, 67108864", "64M, 67108864",
        "2g, 2147483648", "2G, 2147483648", "1t, 1099511627776", "' 512m ', 536870912",
        "9223372036854775807, 9223372036854775807", "8388607t, 9223370937343148032"
    })
    void parsesBytesWithSuffixes(String text, long expected) {
        assertEquals(expected, MemoryLimit.parse(text, -1));
    }

    @Test
    void unsetGivesTheFallback() {
        assertEquals(123, MemoryLimit.parse(null, 123));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "-1|negative: a limit is 0 bytes or more", "-64m|negative: a limit is 0 bytes or more",
        "-1T|negative: a limit is 0 bytes or more", "-0|not a whole number of bytes",
        "--1|not a whole number of bytes", "-|not a whole number of bytes", "1-|not a whole number of bytes",
        "12x|not a whole number of bytes", "9223372036854775808|larger than 9223372036854775807",
    })
    void theMessageSaysWhatIsWrongWithTheValue(String text, String why) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MemoryLimit.parse(text, 0));
        assertEquals("Malformed system property nativemem.maxMemory=\"" + text + "\" (" + why
                + "; expected bytes with an optional k, m, g or t suffix, e.g. 512m)", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "abc", "-1", "1.5g", "12x", "k", "m12", "0x10", "9223372036854775808",
        "8388608t", "99999999999999999999g"})
    void malformedValuesNameThePropertyAndTheValue(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MemoryLimit.parse(text, 0));
        assertTrue(e.getMessage().contains("nativemem.maxMemory"), e.getMessage());
        assertTrue(e.getMessage().contains("\"" + text + "\""), e.getMessage());
    }
}
