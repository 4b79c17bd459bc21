"""Client segmentation pipeline."""
