"""Draw the chapter map on the introduction page: python book/images/make_chapter_map.py."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

# (number, title, column, row); columns are the book's parts.
CHAPTERS = [
    (1, "Sliding dot product", 0, 0),
    (2, "Images and filters", 0, 1),
    (3, "Channels: the loop", 0, 2),
    (4, "Padding, stride,\ndilation", 1, 0),
    (5, "Vectorizing", 1, 1),
    (6, "Keras layers", 1, 2),
    (7, "Backpropagation", 2, 0),
    (8, "Transposed conv.\nand pooling", 2, 1),
    (9, "Performance", 2, 2),
    (10, "Training a CNN", 2, 3),
    (11, "Normalization", 3, 0),
    (12, "Architectures,\ncounted", 3, 1),
    (13, "N dimensions", 3, 2),
    (14, "Training on\nhandwriting", 3, 3),
]
# (from, to): chapter "to" builds on chapter "from".
BUILDS_ON = [
    (1, 2),
    (2, 3),
    (3, 4),
    (3, 5),
    (4, 5),
    (5, 6),
    (3, 7),
    (4, 8),
    (7, 8),
    (5, 9),
    (6, 10),
    (7, 10),
    (7, 11),
    (11, 12),
    (10, 11),
    (9, 13),
    (12, 13),
    (10, 14),
    (11, 14),
]
PARTS = ["One layer, three ways", "The layer's options", "Beyond the forward pass", "From a layer to a network"]
COLORS = ["#dbe9f6", "#fde8cf", "#e2f0d9", "#ece0f3"]
HALF_WIDTH, HALF_HEIGHT = 0.34, 0.3


def main() -> None:
    fig, ax = plt.subplots(figsize=(12.5, 4.6))
    ax.set_xlim(0.0, 3.95)
    ax.set_ylim(3.45, -0.7)
    ax.axis("off")
    centre = {}
    for number, title, column, row in CHAPTERS:
        x, y = column + 0.42, row * 0.95 + 0.2
        centre[number] = (x, y)
        ax.add_patch(
            FancyBboxPatch(
                (x - HALF_WIDTH, y - HALF_HEIGHT),
                2 * HALF_WIDTH,
                2 * HALF_HEIGHT,
                boxstyle="round,pad=0.02",
                facecolor=COLORS[column],
                edgecolor="#555",
            )
        )
        ax.text(x, y, f"{number}. {title}", ha="center", va="center", fontsize=10)
    for column, part in enumerate(PARTS):
        ax.text(column + 0.42, -0.45, part, ha="center", va="center", fontsize=11, fontweight="bold")
    for start, end in BUILDS_ON:
        (x0, y0), (x1, y1) = centre[start], centre[end]
        style = "arc3"
        if x0 == x1 and y1 - y0 < 1:  # the next box down: bottom edge to top edge
            tail, head = (x0, y0 + HALF_HEIGHT), (x1, y1 - HALF_HEIGHT)
        elif x0 == x1:  # further down the same column: around the right-hand side
            tail, head, style = (x0 + HALF_WIDTH, y0), (x1 + HALF_WIDTH, y1), "arc3,rad=-0.35"
        else:  # the next part: right edge to left edge
            tail, head = (x0 + HALF_WIDTH, y0), (x1 - HALF_WIDTH, y1)
        arrow = FancyArrowPatch(tail, head, arrowstyle="-|>", mutation_scale=12, color="#444", connectionstyle=style)
        ax.add_patch(arrow)
    ax.set_title("Chapter map: an arrow points from a chapter to one that builds on it", fontsize=11)
    fig.tight_layout()
    fig.savefig(Path(__file__).with_name("chapter_map.svg"), metadata={"Date": None})


if __name__ == "__main__":
    main()
