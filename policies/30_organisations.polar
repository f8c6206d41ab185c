# Afnemers, the court register feed and the operators.

resource Service {
  permissions = ["see", "check_representation", "deliver"];
}

# An afnemer asks about, and delivers for, its own services only.
has_permission(actor: AfnemerActor, action: String, service: Service) if
  action in ["see", "check_representation", "deliver"] and
  service.afnemer_id = actor.afnemer_id;

resource CourtRegister {
  permissions = ["feed"];
}

has_permission(_actor: RegisterActor, "feed", _register: CourtRegister);

resource AfnemerRegistry {
  permissions = ["configure"];
}

has_permission(_actor: OperatorActor, "configure", _registry: AfnemerRegistry);

resource EidasIdentity {
  permissions = ["confirm_match"];
}

# Linking an EU citizen's eID to a BSN is a manual check by an operator, never automatic.
has_permission(_actor: OperatorActor, "confirm_match", _identity: EidasIdentity);

resource Office {
  permissions = ["see", "manage_assignments"];
}

# Staff see their own office; its administrators divide the office's clients among the staff.
has_permission(actor: StaffActor, "see", office: Office) if
  office.id = actor.office_id;
has_permission(actor: StaffActor, "manage_assignments", office: Office) if
  office.id = actor.office_id and
  actor.is_admin = true;

resource OfficeStaff {
  permissions = ["see", "manage_contact"];
}

# An employee keeps their own e-mail address for the notifications about the office's clients
# (rule 12): nobody else sets or confirms it, not even an administrator of the office.
has_permission(actor: StaffActor, action: String, staff: OfficeStaff) if
  action in ["see", "manage_contact"] and
  staff.id = actor.staff_id;
