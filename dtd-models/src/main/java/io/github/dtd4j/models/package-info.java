/**
 * Model builders: torchvision-compatible VGG, ResNet and DenseNet graphs whose node names are torchvision's
 * {@code state_dict} prefixes, with weights from an {@code .npz} of a {@code state_dict} or seeded random ones.
 */
package io.github.dtd4j.models;
