/** Torchvision-compatible VGG, ResNet and DenseNet builders, weights from an .npz of a state_dict. */
module io.github.dtd4j.models {
    requires transitive io.github.dtd4j.core;

    exports io.github.dtd4j.models;
}
