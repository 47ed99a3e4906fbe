package io.github.dtd4j.cli;

import picocli.CommandLine.ArgGroup;

/** Puts the rule options into a command. */
final class RuleOptionsMixin {
    @ArgGroup(exclusive = false, heading = "Rules:%n")
    RuleOptions options = new RuleOptions();
}
