"""The audit log page: admins see everything, coordinators their offices."""
