package io.nativemem.cli;

/** A bad command line: printed as one line, and the command exits with status 2. */
final class UsageException extends Exception {

    UsageException(String message) {
        super(message);
    }
}
