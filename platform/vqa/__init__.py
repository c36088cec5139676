"""vqa: perceptual video quality assessment at cluster scale (OmniVQA + FineVQ on Ray)."""

__version__ = "0.1.0"
