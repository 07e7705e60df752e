"""H1's classes: DVS128 Gesture's 11 in its label order, then ``none``.

Apart from the synthetic data (:mod:`.gestures`) because the live decision stage names them
too, and it starts without the simulator.
"""

from __future__ import annotations

__all__ = ['CLASSES', 'GESTURE_CLASSES', 'NO_GESTURE']

#: DVS128 Gesture's classes in its label order (label k in the CSV files is index k-1 here).
GESTURE_CLASSES = (
    'hand_clapping', 'right_hand_wave', 'left_hand_wave', 'right_arm_clockwise',
    'right_arm_counter_clockwise', 'left_arm_clockwise', 'left_arm_counter_clockwise',
    'arm_roll', 'air_drums', 'air_guitar', 'other_gestures',
)
#: A decision that names no gesture: the class of scenes without one, and the label of a
#: decision the live graph declines (too little activity, too little confidence).
NO_GESTURE = 'none'
#: What H1 decides between.
CLASSES = (*GESTURE_CLASSES, NO_GESTURE)
