# The afnemer API: "may this representative act for this person at this service?"
#
# The question is a RepresentationQuery (person, service, its category, action); the actor is
# the representative (a PersonActor, or a StaffActor of the office) at the moment asked about.
# The basis is the scope row of a voluntary mandate or the legal measure that allows it.

resource RepresentationQuery {
  permissions = ["act"];
}

# The mailbox actions a representative can hold per service.
service_action("read");
service_action("manage_folders");
service_action("manage_consents");
service_action("receive_notifications");

# A voluntary mandate in force whose scope names exactly this service and action.
representation_basis(actor, query: RepresentationQuery, scope: MandateScope) if
  service_action(query.action) and
  scope in query.mandate_scopes and
  scope.service_id = query.service_id and
  scope.action = query.action and
  scope_in_force(actor, scope);

# A legal measure in force that covers the service's category.
representation_basis(actor, query: RepresentationQuery, measure: LegalMeasure) if
  service_action(query.action) and
  measure in query.measures and
  legal_cover(actor, measure, query.category);

has_permission(actor: Actor, "act", query: RepresentationQuery) if
  representation_basis(actor, query, _basis);
