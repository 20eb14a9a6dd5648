package io.nativemem.cli;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the packaged command in a JVM of its own, as {@code ./nativemem} does: {@code java -jar}
 * on the jar that the package phase built, whose manifest names the library's jar in
 * {@code target/lib} and enables native access. Each run is killed after 120 s, and the test then
 * fails with what it printed so far.
 */
final class ForkedCommand {

    /** The command's jar and the folder of the library's jar (set by failsafe, see cli/pom.xml). */
    static final Path JAR = Path.of(System.getProperty("nativemem.cli.jar", "target/nativemem-cli.jar"));
    static final Path LIB = Path.of(System.getProperty("nativemem.cli.lib", "target/lib"));
    static final Path TEST_CLASSES = Path.of(System.getProperty("nativemem.cli.testClasses", "target/test-classes"));

    private static final long TIMEOUT_SECONDS = 120;

    /** What a forked JVM printed (stdout and stderr together) and how it ended. */
    record Result(int exitCode, String output) {
        @Override
        public String toString() {
            return "exit " + exitCode + ":\n" + output;
        }
    }

    private ForkedCommand() {
    }

    /** {@code java -Xmx512m JVM_OPTIONS -jar JAR ARGS}: no native-access flag, the manifest gives it. */
    static Result jar(List<String> jvmOptions, String... args) {
        List<String> command = new ArrayList<>(List.of(java(), "-Xmx512m"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", existing(JAR).toString()));
        command.addAll(List.of(args));
        return run(command);
    }

    /** A main class of the tests, on a class path of the command's jar (which names the library's) and the tests. */
    static Result testMain(List<String> jvmOptions, Class<?> mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(java(), "-Xmx512m", "--enable-native-access=ALL-UNNAMED"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", existing(JAR) + File.pathSeparator + TEST_CLASSES, mainClass.getName()));
        command.addAll(List.of(args));
        return run(command);
    }

    /** The command on the module path, beside the library's module. */
    static Result modulePath(String... args) {
        List<String> command = new ArrayList<>(List.of(java(), "-Xmx512m",
                "--enable-native-access=io.nativemem,io.nativemem.cli",
                "-p", existing(JAR) + File.pathSeparator + existing(LIB),
                "-m", "io.nativemem.cli/" + Main.class.getName()));
        command.addAll(List.of(args));
        return run(command);
    }

    private static String java() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static Path existing(Path path) {
        if (!Files.exists(path)) {
            throw new AssertionError(path.toAbsolutePath() + " does not exist: these tests run after the package phase");
        }
        return path;
    }

    private static Result run(List<String> command) {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start " + command, e);
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = Thread.ofPlatform().daemon().start(() -> copy(process.getInputStream(), output));
        try {
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                reader.join(5_000);
                throw new AssertionError("Killed after " + TIMEOUT_SECONDS + " s: " + command
                        + "\noutput so far:\n" + text(output));
            }
            reader.join(10_000);
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
