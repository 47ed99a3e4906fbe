/** The DTD paper's MNIST experiment (§6.1): its network, training, relevance models and figures. */
module io.github.dtd4j.paper {
    requires transitive io.github.dtd4j.core;
    requires io.github.dtd4j.rules;
    requires io.github.dtd4j.methods;
    requires io.github.dtd4j.viz;
    requires com.fasterxml.jackson.databind;
    requires org.knowm.xchart;

    exports io.github.dtd4j.paper;
}
