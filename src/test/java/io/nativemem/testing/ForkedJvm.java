package io.nativemem.testing;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class of the test sources in a new JVM on the class path, for tests that need a
 * limit of their own (the limit is read once per process) or JVM flags of their own; and any
 * other child process a test starts.
 *
 * <p>The child's output is read on a thread of its own while this thread waits for it with a
 * timeout: a child that hangs while it holds its stdout open is killed when its time is up, and
 * the test fails with what it printed so far, instead of blocking the build for good.
 */
public final class ForkedJvm {

    /** Long enough for the slowest fork of {@code mvn verify} (the C1 close-while-in-use run: about 8 s here). */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

    /** What a forked JVM printed and how it ended. */
    public record Result(int exitCode, String output) {
        @Override
        public String toString() {
            return "exit " + exitCode + ":\n" + output;
        }
    }

    private ForkedJvm() {
    }

    /** The {@code java} launcher of the JVM that runs the tests. */
    public static String java() {
        return ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** Runs {@code mainClass} on the class path, killed after {@link #DEFAULT_TIMEOUT}. */
    public static Result run(List<String> jvmOptions, Class<?> mainClass, String... args) {
        return run(DEFAULT_TIMEOUT, jvmOptions, mainClass, args);
    }

    /** Runs {@code mainClass} on the class path, killed after {@code timeout}. */
    public static Result run(Duration timeout, List<String> jvmOptions, Class<?> mainClass, String... args) {
        String classPath = System.getProperty("nativemem.main.classes", "target/classes")
                + File.pathSeparator + System.getProperty("nativemem.test.classes", "target/test-classes");
        List<String> command = new ArrayList<>();
        command.add(java());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-Xmx512m");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(classPath);
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        return runCommand(timeout, command);
    }

    /**
     * Runs {@code command} with stderr merged into stdout.
     *
     * @throws AssertionError if it cannot start, or has not ended after {@code timeout}: it is then
     *     killed, and the message carries the command and everything it printed until then
     */
    public static Result runCommand(Duration timeout, List<String> command) {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("Could not start " + command, e);
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = Thread.ofPlatform().daemon().name("forked-jvm-output-" + process.pid())
                .start(() -> copy(process.getInputStream(), output));
        try {
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                reader.join(TimeUnit.SECONDS.toMillis(5));
                throw new AssertionError("Killed after " + timeout.toSeconds() + " s (pid " + process.pid()
                        + ", alive after kill: " + process.isAlive() + "): " + command
                        + "\noutput so far:\n" + text(output));
            }
            // The child has ended: its stdout reaches end of stream unless a grandchild still holds it.
            reader.join(TimeUnit.SECONDS.toMillis(10));
            return new Result(process.exitValue(), text(output));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new AssertionError("Interrupted waiting for " + command + "\noutput so far:\n" + text(output), e);
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        byte[] chunk = new byte[8192];
        try (in) {
            for (int n; (n = in.read(chunk)) >= 0; ) {
                synchronized (out) {
                    out.write(chunk, 0, n);
                }
            }
        } catch (IOException e) {
            // The pipe closed under us (the child was killed): keep what was read.
        }
    }

    private static String text(ByteArrayOutputStream output) {
        synchronized (output) {
            return output.toString(StandardCharsets.UTF_8);
        }
    }
}
