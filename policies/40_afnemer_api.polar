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
# The basis rules name the question's values only in comparisons with a row's columns, so
# the check compiles them once to SQL with parameters (machtigen/authz/prepared.py).
representation_basis(actor, query: RepresentationQuery, scope: MandateScope) if
  service_action(query.action) and
  scope.represented_person_id = query.person_id and
  scope.service_id = query.service_id and
  scope.action = query.action and
  scope_in_force(actor, scope);

# A legal measure in force that covers the service's category.
representation_basis(actor, query: RepresentationQuery, measure: LegalMeasure) if
  service_action(query.action) and
  measure.subject_person_id = query.person_id and
  legal_cover(actor, measure, query.category);

# The per-object check reaches the person's rows through the relations; the compiled check
# asks the same basis rules in SQL, and a test holds the two equal on generated worlds.
has_permission(actor: Actor, "act", query: RepresentationQuery) if
  (scope in query.mandate_scopes and representation_basis(actor, query, scope)) or
  (measure in query.measures and representation_basis(actor, query, measure));
