"""Geometry of human pose: DHP19's joints and the errors we score by, calibrated cameras
(projection, triangulation), the rig file and the pairing of views. Nothing here knows about
events, networks or ROS."""
