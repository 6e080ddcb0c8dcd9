"""What the emulator and the controller agree on: QEC codes and circuits, noise models, the wire protocol."""
