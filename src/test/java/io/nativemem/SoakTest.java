package io.nativemem;

import io.nativemem.forked.Soak;
import io.nativemem.testing.ForkedJvm;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Minutes of mixed churn, run only by {@code mvn verify -Psoak} (length:
 * {@code -Dnativemem.soak.seconds}, default 180): no OOM, the ledger empty at the end, and a
 * resident set that stays flat (at most 10 % + 32 MiB above its size once warm).
 */
@Tag("soak")
class SoakTest {

    @Test
    void mixedChurnKeepsTheResidentSetFlat() {
        String seconds = System.getProperty("nativemem.soak.seconds", "180");
        Duration timeout = Duration.ofSeconds(Long.parseLong(seconds)).plus(ForkedJvm.DEFAULT_TIMEOUT);
        ForkedJvm.Result result = ForkedJvm.run(timeout, List.of("-Dnativemem.maxMemory=256m", "-Xmx512m"), Soak.class,
                seconds);
        assertEquals(0, result.exitCode(), result.toString());
        String line = result.output().lines().filter(l -> l.startsWith("seconds=")).findFirst().orElseThrow();
        System.out.println("soak: " + line);
        assertTrue(line.contains(" ooms=0 "), line);
        assertTrue(line.endsWith("count=0 capacity=0 mapped=0"), line);
        long warm = Long.parseLong(line.replaceAll(".*rssWarmKiB=(\\d+).*", "$1"));
        long end = Long.parseLong(line.replaceAll(".*rssEndKiB=(\\d+).*", "$1"));
        assertTrue(end <= warm * 1.10 + 32 * 1024, "resident set grew from " + warm + " KiB to " + end + " KiB");
    }
}
